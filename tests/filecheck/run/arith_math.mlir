// arith and math on tensors and scalars, on the reference interpreter.
// Expected values are worked out by hand (exact in every type).

// RUN: lpu-run %s --function arith_addf --input 4xf32=1,2,3,4 --input 4xf32=0.5,0.5,-3,4 | filecheck %s --check-prefix=ARITH_ADDF
// RUN: lpu-run %s --function arith_subf --input 4xf32=1,2,3,4 --input 4xf32=0.5,0.5,-3,4 | filecheck %s --check-prefix=ARITH_SUBF
// RUN: lpu-run %s --function arith_mulf --input 4xf32=1,2,3,4 --input 4xf32=0.5,0.5,-3,4 | filecheck %s --check-prefix=ARITH_MULF
// RUN: lpu-run %s --function arith_divf --input 4xf32=1,2,3,4 --input 4xf32=0.5,0.5,-3,4 | filecheck %s --check-prefix=ARITH_DIVF
// RUN: lpu-run %s --function arith_negf --input 4xf32=1,-2,0,4 | filecheck %s --check-prefix=ARITH_NEGF
// RUN: lpu-run %s --function arith_maximumf --input 4xf32=1,nan,3,-1 --input 4xf32=2,1,nan,-2 | filecheck %s --check-prefix=ARITH_MAXIMUMF
// RUN: lpu-run %s --function arith_minimumf --input 4xf32=1,nan,3,-1 --input 4xf32=2,1,nan,-2 | filecheck %s --check-prefix=ARITH_MINIMUMF
// RUN: lpu-run %s --function arith_maxnumf --input 4xf32=1,nan,3,-1 --input 4xf32=2,1,nan,-2 | filecheck %s --check-prefix=ARITH_MAXNUMF
// RUN: lpu-run %s --function arith_minnumf --input 4xf32=1,nan,3,-1 --input 4xf32=2,1,nan,-2 | filecheck %s --check-prefix=ARITH_MINNUMF
// RUN: lpu-run %s --function arith_addi --input 4xi32=1,2147483647,3,4 --input 4xi32=1,1,-3,4 | filecheck %s --check-prefix=ARITH_ADDI
// RUN: lpu-run %s --function arith_subi --input 4xi32=1,2,3,4 --input 4xi32=1,5,-3,4 | filecheck %s --check-prefix=ARITH_SUBI
// RUN: lpu-run %s --function arith_muli --input 4xi32=1,2,3,65536 --input 4xi32=1,5,-3,65536 | filecheck %s --check-prefix=ARITH_MULI
// RUN: lpu-run %s --function arith_divsi --input 4xi32=7,-7,7,-7 --input 4xi32=2,2,-2,-2 | filecheck %s --check-prefix=ARITH_DIVSI
// RUN: lpu-run %s --function arith_divui --input 4xi32=7,-2,9,0 --input 4xi32=2,2,3,5 | filecheck %s --check-prefix=ARITH_DIVUI
// RUN: lpu-run %s --function arith_remsi --input 4xi32=7,-7,7,-7 --input 4xi32=2,2,-2,-2 | filecheck %s --check-prefix=ARITH_REMSI
// RUN: lpu-run %s --function arith_remui --input 4xi32=7,-1,9,0 --input 4xi32=2,10,3,5 | filecheck %s --check-prefix=ARITH_REMUI
// RUN: lpu-run %s --function arith_maxsi --input 4xi32=7,-7,0,-1 --input 4xi32=2,2,0,1 | filecheck %s --check-prefix=ARITH_MAXSI
// RUN: lpu-run %s --function arith_minsi --input 4xi32=7,-7,0,-1 --input 4xi32=2,2,0,1 | filecheck %s --check-prefix=ARITH_MINSI
// RUN: lpu-run %s --function arith_maxui --input 4xi32=7,-7,0,-1 --input 4xi32=2,2,0,1 | filecheck %s --check-prefix=ARITH_MAXUI
// RUN: lpu-run %s --function arith_minui --input 4xi32=7,-7,0,-1 --input 4xi32=2,2,0,1 | filecheck %s --check-prefix=ARITH_MINUI
// RUN: lpu-run %s --function arith_andi --input 4xi32=12,-1,5,0 --input 4xi32=10,7,2,9 | filecheck %s --check-prefix=ARITH_ANDI
// RUN: lpu-run %s --function arith_ori --input 4xi32=12,-8,5,0 --input 4xi32=10,7,2,9 | filecheck %s --check-prefix=ARITH_ORI
// RUN: lpu-run %s --function arith_xori --input 4xi32=12,-1,5,0 --input 4xi32=10,7,5,9 | filecheck %s --check-prefix=ARITH_XORI
// RUN: lpu-run %s --function arith_shli --input 4xi32=1,3,-1,5 --input 4xi32=0,2,4,3 | filecheck %s --check-prefix=ARITH_SHLI
// RUN: lpu-run %s --function arith_shrsi --input 4xi32=16,-16,7,-1 --input 4xi32=2,2,1,31 | filecheck %s --check-prefix=ARITH_SHRSI
// RUN: lpu-run %s --function arith_shrui --input 4xi32=16,-16,7,-1 --input 4xi32=2,28,1,31 | filecheck %s --check-prefix=ARITH_SHRUI
// RUN: lpu-run %s --function constant  | filecheck %s --check-prefix=CONSTANT
// RUN: lpu-run %s --function constant_splat  | filecheck %s --check-prefix=CONSTANT_SPLAT
// RUN: lpu-run %s --function cmpi --input i32=-1 --input i32=1 | filecheck %s --check-prefix=CMPI
// RUN: lpu-run %s --function cmpf --input f32=nan --input f32=1 | filecheck %s --check-prefix=CMPF
// RUN: lpu-run %s --function select --input i1=0 --input 4xf32=1,2,3,4 --input 4xf32=5,6,7,8 | filecheck %s --check-prefix=SELECT
// RUN: lpu-run %s --function sitofp --input i32=16777217 | filecheck %s --check-prefix=SITOFP
// RUN: lpu-run %s --function uitofp --input i32=-1 | filecheck %s --check-prefix=UITOFP
// RUN: lpu-run %s --function fptosi --input f32=-2.75 | filecheck %s --check-prefix=FPTOSI
// RUN: lpu-run %s --function fptoui --input f32=3000000000 | filecheck %s --check-prefix=FPTOUI
// RUN: lpu-run %s --function extsi --input i8=-3 | filecheck %s --check-prefix=EXTSI
// RUN: lpu-run %s --function extui --input i8=-3 | filecheck %s --check-prefix=EXTUI
// RUN: lpu-run %s --function trunci --input i32=300 | filecheck %s --check-prefix=TRUNCI
// RUN: lpu-run %s --function extf --input f16=0.5 | filecheck %s --check-prefix=EXTF
// RUN: lpu-run %s --function truncf --input f32=2049 | filecheck %s --check-prefix=TRUNCF
// RUN: lpu-run %s --function bitcast --input f32=1 | filecheck %s --check-prefix=BITCAST
// RUN: lpu-run %s --function index_cast --input i32=-5 | filecheck %s --check-prefix=INDEX_CAST
// RUN: lpu-run %s --function math_absf --input 4xf32=-1,2,-0.5,0 | filecheck %s --check-prefix=MATH_ABSF
// RUN: lpu-run %s --function math_absi --input 4xi32=-1,2,-5,0 | filecheck %s --check-prefix=MATH_ABSI
// RUN: lpu-run %s --function math_floor --input 4xf32=-1.5,2.5,2,-0.25 | filecheck %s --check-prefix=MATH_FLOOR
// RUN: lpu-run %s --function math_ceil --input 4xf32=-1.5,2.5,2,0.25 | filecheck %s --check-prefix=MATH_CEIL
// RUN: lpu-run %s --function math_roundeven --input 4xf32=0.5,1.5,-2.5,2.25 | filecheck %s --check-prefix=MATH_ROUNDEVEN
// RUN: lpu-run %s --function math_sqrt --input 4xf32=4,0.25,9,0 | filecheck %s --check-prefix=MATH_SQRT
// RUN: lpu-run %s --function math_rsqrt --input 4xf32=4,0.25,16,1 | filecheck %s --check-prefix=MATH_RSQRT
// RUN: lpu-run %s --function math_powf --input 4xf32=2,3,4,1 --input 4xf32=2,2,0.5,7 | filecheck %s --check-prefix=MATH_POWF
// RUN: lpu-run %s --function math_exp --input 4xf32=0,-inf,inf,nan | filecheck %s --check-prefix=MATH_EXP
// RUN: lpu-run %s --function math_log --input 4xf32=1,0,inf,-1 | filecheck %s --check-prefix=MATH_LOG
// RUN: lpu-run %s --function math_tanh --input 4xf32=0,inf,-inf,-0.0 | filecheck %s --check-prefix=MATH_TANH
// RUN: lpu-run %s --function math_erf --input 4xf32=0,inf,-inf,5 | filecheck %s --check-prefix=MATH_ERF

// ARITH_ADDF: result0: tensor<4xf32> = [1.5, 2.5, 0.0, 8.0]
func.func @arith_addf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_SUBF: result0: tensor<4xf32> = [0.5, 1.5, 6.0, 0.0]
func.func @arith_subf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.subf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_MULF: result0: tensor<4xf32> = [0.5, 1.0, -9.0, 16.0]
func.func @arith_mulf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.mulf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_DIVF: result0: tensor<4xf32> = [2.0, 4.0, -1.0, 1.0]
func.func @arith_divf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.divf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_NEGF: result0: tensor<4xf32> = [-1.0, 2.0, -0.0, -4.0]
func.func @arith_negf(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.negf %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_MAXIMUMF: result0: tensor<4xf32> = [2.0, nan, nan, -1.0]
func.func @arith_maximumf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.maximumf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_MINIMUMF: result0: tensor<4xf32> = [1.0, nan, nan, -2.0]
func.func @arith_minimumf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.minimumf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_MAXNUMF: result0: tensor<4xf32> = [2.0, 1.0, 3.0, -1.0]
func.func @arith_maxnumf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.maxnumf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_MINNUMF: result0: tensor<4xf32> = [1.0, 1.0, 3.0, -2.0]
func.func @arith_minnumf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.minnumf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ARITH_ADDI: result0: tensor<4xi32> = [2, -2147483648, 0, 8]
func.func @arith_addi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.addi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_SUBI: result0: tensor<4xi32> = [0, -3, 6, 0]
func.func @arith_subi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.subi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_MULI: result0: tensor<4xi32> = [1, 10, -9, 0]
func.func @arith_muli(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.muli %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_DIVSI: result0: tensor<4xi32> = [3, -3, -3, 3]
func.func @arith_divsi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.divsi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_DIVUI: result0: tensor<4xi32> = [3, 2147483647, 3, 0]
func.func @arith_divui(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.divui %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_REMSI: result0: tensor<4xi32> = [1, -1, 1, -1]
func.func @arith_remsi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.remsi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_REMUI: result0: tensor<4xi32> = [1, 5, 0, 0]
func.func @arith_remui(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.remui %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_MAXSI: result0: tensor<4xi32> = [7, 2, 0, 1]
func.func @arith_maxsi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.maxsi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_MINSI: result0: tensor<4xi32> = [2, -7, 0, -1]
func.func @arith_minsi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.minsi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_MAXUI: result0: tensor<4xi32> = [7, -7, 0, -1]
func.func @arith_maxui(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.maxui %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_MINUI: result0: tensor<4xi32> = [2, 2, 0, 1]
func.func @arith_minui(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.minui %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_ANDI: result0: tensor<4xi32> = [8, 7, 0, 0]
func.func @arith_andi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.andi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_ORI: result0: tensor<4xi32> = [14, -1, 7, 9]
func.func @arith_ori(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.ori %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_XORI: result0: tensor<4xi32> = [6, -8, 0, 9]
func.func @arith_xori(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.xori %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_SHLI: result0: tensor<4xi32> = [1, 12, -16, 40]
func.func @arith_shli(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.shli %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_SHRSI: result0: tensor<4xi32> = [4, -4, 3, -1]
func.func @arith_shrsi(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.shrsi %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITH_SHRUI: result0: tensor<4xi32> = [4, 15, 3, 1]
func.func @arith_shrui(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = arith.shrui %a, %b : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// CONSTANT: result0: tensor<3xf32> = [1.5, -2.0, 0.25]
func.func @constant() -> tensor<3xf32> {
  %0 = arith.constant dense<[1.5, -2.0, 0.25]> : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// CONSTANT_SPLAT: result0: tensor<2x2xi8> = {{\[\[}}-7, -7], [-7, -7]]
func.func @constant_splat() -> tensor<2x2xi8> {
  %0 = arith.constant dense<-7> : tensor<2x2xi8>
  return %0 : tensor<2x2xi8>
}

// unsigned: -1 is the largest
// CMPI: result0: {{(tensor<)?}}i1{{>?}} = False
func.func @cmpi(%a: i32, %b: i32) -> i1 {
  %0 = arith.cmpi ult, %a, %b : i32
  return %0 : i1
}

// unordered or less
// CMPF: result0: {{(tensor<)?}}i1{{>?}} = True
func.func @cmpf(%a: f32, %b: f32) -> i1 {
  %0 = arith.cmpf ult, %a, %b : f32
  return %0 : i1
}

// SELECT: result0: tensor<4xf32> = [5.0, 6.0, 7.0, 8.0]
func.func @select(%c: i1, %a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.select %c, %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// rounds to nearest even
// SITOFP: result0: {{(tensor<)?}}f32{{>?}} = 16777216.0
func.func @sitofp(%a: i32) -> f32 {
  %0 = arith.sitofp %a : i32 to f32
  return %0 : f32
}

// UITOFP: result0: {{(tensor<)?}}f32{{>?}} = 4294967296.0
func.func @uitofp(%a: i32) -> f32 {
  %0 = arith.uitofp %a : i32 to f32
  return %0 : f32
}

// toward zero
// FPTOSI: result0: {{(tensor<)?}}i32{{>?}} = -2
func.func @fptosi(%a: f32) -> i32 {
  %0 = arith.fptosi %a : f32 to i32
  return %0 : i32
}

// 3e9 as the bits of an i32
// FPTOUI: result0: {{(tensor<)?}}i32{{>?}} = -1294967296
func.func @fptoui(%a: f32) -> i32 {
  %0 = arith.fptoui %a : f32 to i32
  return %0 : i32
}

// EXTSI: result0: {{(tensor<)?}}i32{{>?}} = -3
func.func @extsi(%a: i8) -> i32 {
  %0 = arith.extsi %a : i8 to i32
  return %0 : i32
}

// EXTUI: result0: {{(tensor<)?}}i32{{>?}} = 253
func.func @extui(%a: i8) -> i32 {
  %0 = arith.extui %a : i8 to i32
  return %0 : i32
}

// TRUNCI: result0: {{(tensor<)?}}i8{{>?}} = 44
func.func @trunci(%a: i32) -> i8 {
  %0 = arith.trunci %a : i32 to i8
  return %0 : i8
}

// EXTF: result0: {{(tensor<)?}}f32{{>?}} = 0.5
func.func @extf(%a: f16) -> f32 {
  %0 = arith.extf %a : f16 to f32
  return %0 : f32
}

// ties to even
// TRUNCF: result0: {{(tensor<)?}}f16{{>?}} = 2048.0
func.func @truncf(%a: f32) -> f16 {
  %0 = arith.truncf %a : f32 to f16
  return %0 : f16
}

// BITCAST: result0: {{(tensor<)?}}i32{{>?}} = 1065353216
func.func @bitcast(%a: f32) -> i32 {
  %0 = arith.bitcast %a : f32 to i32
  return %0 : i32
}

// index values are i64
// INDEX_CAST: result0: {{(tensor<)?}}i64{{>?}} = -5
func.func @index_cast(%a: i32) -> index {
  %0 = arith.index_cast %a : i32 to index
  return %0 : index
}

// MATH_ABSF: result0: tensor<4xf32> = [1.0, 2.0, 0.5, 0.0]
func.func @math_absf(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.absf %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_ABSI: result0: tensor<4xi32> = [1, 2, 5, 0]
func.func @math_absi(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = math.absi %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// MATH_FLOOR: result0: tensor<4xf32> = [-2.0, 2.0, 2.0, -1.0]
func.func @math_floor(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.floor %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_CEIL: result0: tensor<4xf32> = [-1.0, 3.0, 2.0, 1.0]
func.func @math_ceil(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.ceil %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_ROUNDEVEN: result0: tensor<4xf32> = [0.0, 2.0, -2.0, 2.0]
func.func @math_roundeven(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.roundeven %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_SQRT: result0: tensor<4xf32> = [2.0, 0.5, 3.0, 0.0]
func.func @math_sqrt(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.sqrt %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_RSQRT: result0: tensor<4xf32> = [0.5, 2.0, 0.25, 1.0]
func.func @math_rsqrt(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.rsqrt %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_POWF: result0: tensor<4xf32> = [4.0, 9.0, 2.0, 1.0]
func.func @math_powf(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.powf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_EXP: result0: tensor<4xf32> = [1.0, 0.0, inf, nan]
func.func @math_exp(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.exp %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_LOG: result0: tensor<4xf32> = [0.0, -inf, inf, nan]
func.func @math_log(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.log %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_TANH: result0: tensor<4xf32> = [0.0, 1.0, -1.0, -0.0]
func.func @math_tanh(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.tanh %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MATH_ERF: result0: tensor<4xf32> = [0.0, 1.0, -1.0, 1.0]
func.func @math_erf(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = math.erf %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

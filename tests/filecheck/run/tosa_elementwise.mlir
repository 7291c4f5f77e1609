// TOSA elementwise ops on the reference interpreter.
// Expected values are worked out by hand (exact in every type).

// RUN: lpu-run %s --function add --input 2x3xf32=1,-2,3,4,0.5,-6 --input 1x3xf32=0.5,2,-1 | filecheck %s --check-prefix=ADD
// RUN: lpu-run %s --function sub --input 2x3xf32=1,-2,3,4,0.5,-6 --input 1x3xf32=0.5,2,-1 | filecheck %s --check-prefix=SUB
// RUN: lpu-run %s --function mul --input 2x3xf32=1,-2,3,4,0.5,-6 --input 1x3xf32=0.5,2,-1 | filecheck %s --check-prefix=MUL
// RUN: lpu-run %s --function mul_shift --input 4xi32=3,5,-3,7 --input 4xi32=1,1,1,2 | filecheck %s --check-prefix=MUL_SHIFT
// RUN: lpu-run %s --function intdiv --input 4xi32=7,-7,7,-7 --input 4xi32=2,2,-2,-2 | filecheck %s --check-prefix=INTDIV
// RUN: lpu-run %s --function maximum --input 4xf32=1,nan,3,-0.5 --input 4xf32=2,1,nan,-1 | filecheck %s --check-prefix=MAXIMUM
// RUN: lpu-run %s --function minimum_ignore --input 4xf32=1,nan,3,-0.5 --input 4xf32=2,1,nan,-1 | filecheck %s --check-prefix=MINIMUM_IGNORE
// RUN: lpu-run %s --function pow --input 4xf32=2,4,9,1.5 --input 4xf32=3,0.5,0.5,2 | filecheck %s --check-prefix=POW
// RUN: lpu-run %s --function bitwise_and --input 4xi32=12,-1,5,0 --input 4xi32=10,7,2,9 | filecheck %s --check-prefix=BITWISE_AND
// RUN: lpu-run %s --function bitwise_or --input 4xi32=12,-8,5,0 --input 4xi32=10,7,2,9 | filecheck %s --check-prefix=BITWISE_OR
// RUN: lpu-run %s --function bitwise_xor --input 4xi32=12,-1,5,0 --input 4xi32=10,7,5,9 | filecheck %s --check-prefix=BITWISE_XOR
// RUN: lpu-run %s --function bitwise_not --input 4xi32=0,-1,5,7 | filecheck %s --check-prefix=BITWISE_NOT
// RUN: lpu-run %s --function logical_left_shift --input 4xi32=1,3,-1,5 --input 4xi32=0,2,4,3 | filecheck %s --check-prefix=LOGICAL_LEFT_SHIFT
// RUN: lpu-run %s --function logical_right_shift --input 4xi32=16,-16,7,-1 --input 4xi32=2,28,1,31 | filecheck %s --check-prefix=LOGICAL_RIGHT_SHIFT
// RUN: lpu-run %s --function arithmetic_right_shift --input 4xi32=7,-7,6,5 --input 4xi32=1,1,2,0 | filecheck %s --check-prefix=ARITHMETIC_RIGHT_SHIFT
// RUN: lpu-run %s --function logical_and --input 4xi1=0,0,1,1 --input 4xi1=0,1,0,1 | filecheck %s --check-prefix=LOGICAL_AND
// RUN: lpu-run %s --function logical_or --input 4xi1=0,0,1,1 --input 4xi1=0,1,0,1 | filecheck %s --check-prefix=LOGICAL_OR
// RUN: lpu-run %s --function logical_xor --input 4xi1=0,0,1,1 --input 4xi1=0,1,0,1 | filecheck %s --check-prefix=LOGICAL_XOR
// RUN: lpu-run %s --function logical_not --input 4xi1=0,1,1,0 | filecheck %s --check-prefix=LOGICAL_NOT
// RUN: lpu-run %s --function equal --input 4xf32=1,nan,0,-0.0 --input 4xf32=1,nan,1,0 | filecheck %s --check-prefix=EQUAL
// RUN: lpu-run %s --function greater --input 4xi32=1,2,3,-1 --input 4xi32=2,2,2,-2 | filecheck %s --check-prefix=GREATER
// RUN: lpu-run %s --function greater_equal --input 4xf32=1,2,nan,-1 --input 4xf32=2,2,2,-2 | filecheck %s --check-prefix=GREATER_EQUAL
// RUN: lpu-run %s --function select --input 4xi1=1,0,1,0 --input 4xf32=1,2,3,4 --input 4xf32=5,6,7,8 | filecheck %s --check-prefix=SELECT
// RUN: lpu-run %s --function abs --input 4xf32=-1.5,2,-0.0,-7 | filecheck %s --check-prefix=ABS
// RUN: lpu-run %s --function floor --input 4xf32=-1.5,2.5,2,-0.25 | filecheck %s --check-prefix=FLOOR
// RUN: lpu-run %s --function ceil --input 4xf32=-1.5,2.5,2,0.25 | filecheck %s --check-prefix=CEIL
// RUN: lpu-run %s --function reciprocal --input 4xf32=2,-4,0.5,1 | filecheck %s --check-prefix=RECIPROCAL
// RUN: lpu-run %s --function rsqrt --input 4xf32=4,16,0.25,1 | filecheck %s --check-prefix=RSQRT
// RUN: lpu-run %s --function exp --input 4xf32=0,-inf,inf,nan | filecheck %s --check-prefix=EXP
// RUN: lpu-run %s --function log --input 4xf32=1,0,inf,-1 | filecheck %s --check-prefix=LOG
// RUN: lpu-run %s --function tanh --input 4xf32=0,inf,-inf,-0.0 | filecheck %s --check-prefix=TANH
// RUN: lpu-run %s --function sigmoid --input 4xf32=0,inf,-inf,0 | filecheck %s --check-prefix=SIGMOID
// RUN: lpu-run %s --function erf --input 4xf32=0,inf,-inf,5 | filecheck %s --check-prefix=ERF
// RUN: lpu-run %s --function identity --input 4xi32=1,2,3,4 | filecheck %s --check-prefix=IDENTITY
// RUN: lpu-run %s --function negate --input 4xf32=1,-2,0,4 | filecheck %s --check-prefix=NEGATE
// RUN: lpu-run %s --function negate_i8 --input 4xi8=0,10,-128,127 | filecheck %s --check-prefix=NEGATE_I8
// RUN: lpu-run %s --function clamp --input 4xf32=-1,1,7,nan | filecheck %s --check-prefix=CLAMP
// RUN: lpu-run %s --function clamp_ignore --input 4xf32=-1,1,7,nan | filecheck %s --check-prefix=CLAMP_IGNORE
// RUN: lpu-run %s --function cast_f32_i8 --input 4xf32=2.5,3.5,-300,1000 | filecheck %s --check-prefix=CAST_F32_I8
// RUN: lpu-run %s --function cast_i32_i8 --input 4xi32=300,-129,127,-1 | filecheck %s --check-prefix=CAST_I32_I8
// RUN: lpu-run %s --function cast_i32_i1 --input 4xi32=0,5,-1,0 | filecheck %s --check-prefix=CAST_I32_I1
// RUN: lpu-run %s --function cast_f32_f16 --input 4xf32=1,65520,0.5,-2 | filecheck %s --check-prefix=CAST_F32_F16
// RUN: lpu-run %s --function cast_f32_bf16 --input 4xf32=1,257,0.5,-2 | filecheck %s --check-prefix=CAST_F32_BF16

// broadcast over the first dimension
// ADD: result0: tensor<2x3xf32> = {{\[\[}}1.5, 0.0, 2.0], [4.5, 2.5, -7.0]]
func.func @add(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  %0 = tosa.add %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// SUB: result0: tensor<2x3xf32> = {{\[\[}}0.5, -4.0, 4.0], [3.5, -1.5, -5.0]]
func.func @sub(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  %0 = tosa.sub %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// MUL: result0: tensor<2x3xf32> = {{\[\[}}0.5, -4.0, -3.0], [2.0, 1.0, 6.0]]
func.func @mul(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<2x3xf32> {
  %s = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.mul %a, %b, %s : (tensor<2x3xf32>, tensor<1x3xf32>, tensor<1xi8>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// (a*b + 2) >> 2
// MUL_SHIFT: result0: tensor<4xi32> = [1, 1, -1, 4]
func.func @mul_shift(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %s = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.mul %a, %b, %s : (tensor<4xi32>, tensor<4xi32>, tensor<1xi8>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// INTDIV: result0: tensor<4xi32> = [3, -3, -3, 3]
func.func @intdiv(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.intdiv %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// MAXIMUM: result0: tensor<4xf32> = [2.0, nan, nan, -0.5]
func.func @maximum(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.maximum %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MINIMUM_IGNORE: result0: tensor<4xf32> = [1.0, 1.0, 3.0, -1.0]
func.func @minimum_ignore(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.minimum %a, %b {nan_mode = IGNORE} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// POW: result0: tensor<4xf32> = [8.0, 2.0, 3.0, 2.25]
func.func @pow(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.pow %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// BITWISE_AND: result0: tensor<4xi32> = [8, 7, 0, 0]
func.func @bitwise_and(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.bitwise_and %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// BITWISE_OR: result0: tensor<4xi32> = [14, -1, 7, 9]
func.func @bitwise_or(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.bitwise_or %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// BITWISE_XOR: result0: tensor<4xi32> = [6, -8, 0, 9]
func.func @bitwise_xor(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.bitwise_xor %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// BITWISE_NOT: result0: tensor<4xi32> = [-1, 0, -6, -8]
func.func @bitwise_not(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.bitwise_not %a : (tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// LOGICAL_LEFT_SHIFT: result0: tensor<4xi32> = [1, 12, -16, 40]
func.func @logical_left_shift(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.logical_left_shift %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// LOGICAL_RIGHT_SHIFT: result0: tensor<4xi32> = [4, 15, 3, 1]
func.func @logical_right_shift(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.logical_right_shift %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// ARITHMETIC_RIGHT_SHIFT: result0: tensor<4xi32> = [4, -3, 2, 5]
func.func @arithmetic_right_shift(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.arithmetic_right_shift %a, %b {round = true} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// LOGICAL_AND: result0: tensor<4xi1> = [False, False, False, True]
func.func @logical_and(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = tosa.logical_and %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// LOGICAL_OR: result0: tensor<4xi1> = [False, True, True, True]
func.func @logical_or(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = tosa.logical_or %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// LOGICAL_XOR: result0: tensor<4xi1> = [False, True, True, False]
func.func @logical_xor(%a: tensor<4xi1>, %b: tensor<4xi1>) -> tensor<4xi1> {
  %0 = tosa.logical_xor %a, %b : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// LOGICAL_NOT: result0: tensor<4xi1> = [True, False, False, True]
func.func @logical_not(%a: tensor<4xi1>) -> tensor<4xi1> {
  %0 = tosa.logical_not %a : (tensor<4xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// EQUAL: result0: tensor<4xi1> = [True, False, False, True]
func.func @equal(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xi1> {
  %0 = tosa.equal %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// GREATER: result0: tensor<4xi1> = [False, False, True, True]
func.func @greater(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi1> {
  %0 = tosa.greater %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// GREATER_EQUAL: result0: tensor<4xi1> = [False, True, False, True]
func.func @greater_equal(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xi1> {
  %0 = tosa.greater_equal %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// SELECT: result0: tensor<4xf32> = [1.0, 6.0, 3.0, 8.0]
func.func @select(%p: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.select %p, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ABS: result0: tensor<4xf32> = [1.5, 2.0, 0.0, 7.0]
func.func @abs(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.abs %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// FLOOR: result0: tensor<4xf32> = [-2.0, 2.0, 2.0, -1.0]
func.func @floor(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.floor %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CEIL: result0: tensor<4xf32> = [-1.0, 3.0, 2.0, 1.0]
func.func @ceil(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.ceil %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// RECIPROCAL: result0: tensor<4xf32> = [0.5, -0.25, 2.0, 1.0]
func.func @reciprocal(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.reciprocal %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// RSQRT: result0: tensor<4xf32> = [0.5, 0.25, 2.0, 1.0]
func.func @rsqrt(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.rsqrt %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// exact points: exp(0) = 1, exp(-inf) = 0
// EXP: result0: tensor<4xf32> = [1.0, 0.0, inf, nan]
func.func @exp(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.exp %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// LOG: result0: tensor<4xf32> = [0.0, -inf, inf, nan]
func.func @log(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.log %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// TANH: result0: tensor<4xf32> = [0.0, 1.0, -1.0, -0.0]
func.func @tanh(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.tanh %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// SIGMOID: result0: tensor<4xf32> = [0.5, 1.0, 0.0, 0.5]
func.func @sigmoid(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.sigmoid %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// ERF: result0: tensor<4xf32> = [0.0, 1.0, -1.0, 1.0]
func.func @erf(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.erf %a : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// IDENTITY: result0: tensor<4xi32> = [1, 2, 3, 4]
func.func @identity(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = tosa.identity %a : (tensor<4xi32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// NEGATE: result0: tensor<4xf32> = [-1.0, 2.0, -0.0, -4.0]
func.func @negate(%a: tensor<4xf32>) -> tensor<4xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.negate %a, %zp, %zp : (tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// 5 + (-3 - x), saturated
// NEGATE_I8: result0: tensor<4xi8> = [2, -8, 127, -125]
func.func @negate_i8(%a: tensor<4xi8>) -> tensor<4xi8> {
  %izp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<5> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.negate %a, %izp, %ozp : (tensor<4xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// CLAMP: result0: tensor<4xf32> = [0.0, 1.0, 6.0, nan]
func.func @clamp(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// CLAMP_IGNORE: result0: tensor<4xf32> = [0.0, 1.0, 6.0, 0.0]
func.func @clamp_ignore(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32, nan_mode = IGNORE} : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// round to nearest even, saturate
// CAST_F32_I8: result0: tensor<4xi8> = [2, 4, -128, 127]
func.func @cast_f32_i8(%a: tensor<4xf32>) -> tensor<4xi8> {
  %0 = tosa.cast %a : (tensor<4xf32>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// keep the low bits
// CAST_I32_I8: result0: tensor<4xi8> = [44, 127, 127, -1]
func.func @cast_i32_i8(%a: tensor<4xi32>) -> tensor<4xi8> {
  %0 = tosa.cast %a : (tensor<4xi32>) -> tensor<4xi8>
  return %0 : tensor<4xi8>
}

// CAST_I32_I1: result0: tensor<4xi1> = [False, True, True, False]
func.func @cast_i32_i1(%a: tensor<4xi32>) -> tensor<4xi1> {
  %0 = tosa.cast %a : (tensor<4xi32>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// 65520 rounds to even: inf
// CAST_F32_F16: result0: tensor<4xf16> = [1.0, inf, 0.5, -2.0]
func.func @cast_f32_f16(%a: tensor<4xf32>) -> tensor<4xf16> {
  %0 = tosa.cast %a : (tensor<4xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// CAST_F32_BF16: result0: tensor<4xbf16> = [1.0, 256.0, 0.5, -2.0]
func.func @cast_f32_bf16(%a: tensor<4xf32>) -> tensor<4xbf16> {
  %0 = tosa.cast %a : (tensor<4xf32>) -> tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

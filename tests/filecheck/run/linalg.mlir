// linalg on tensors, on the reference interpreter.
// Expected values are worked out by hand (exact in every type).

// RUN: lpu-run %s --function generic_relu --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=GENERIC_RELU
// RUN: lpu-run %s --function generic_sum --input 2x3xi32=1,2,3,4,5,6 --input 2xi32=10,20 | filecheck %s --check-prefix=GENERIC_SUM
// RUN: lpu-run %s --function generic_digits --input 2x3xi32=1,2,3,4,5,6 --input 2xi32=7,0 | filecheck %s --check-prefix=GENERIC_DIGITS
// RUN: lpu-run %s --function reduce_max --input 2x3xf32=1,-2,3,4,5,-6 --input 2xf32=-100,100 | filecheck %s --check-prefix=REDUCE_MAX
// RUN: lpu-run %s --function index --input 2x3xi32=0 | filecheck %s --check-prefix=INDEX
// RUN: lpu-run %s --function broadcast --input 3xf32=1,2,3 --input 2x3xf32=0 | filecheck %s --check-prefix=BROADCAST
// RUN: lpu-run %s --function transpose --input 2x3xf32=1,-2,3,4,5,-6 --input 3x2xf32=0 | filecheck %s --check-prefix=TRANSPOSE
// RUN: lpu-run %s --function fill --input 2x3xf32=0 | filecheck %s --check-prefix=FILL
// RUN: lpu-run %s --function matmul --input 2x3xf32=1,-2,3,4,5,-6 --input 3x2xf32=1,0,0,1,1,1 --input 2x2xf32=0.5 | filecheck %s --check-prefix=MATMUL
// RUN: lpu-run %s --function add --input 4xf32=1,2,3,4 --input 4xf32=0.5,4,-1,4 --input 4xf32=0 | filecheck %s --check-prefix=ADD
// RUN: lpu-run %s --function sub --input 4xf32=1,2,3,4 --input 4xf32=0.5,4,-1,4 --input 4xf32=0 | filecheck %s --check-prefix=SUB
// RUN: lpu-run %s --function mul --input 4xf32=1,2,3,4 --input 4xf32=0.5,4,-1,4 --input 4xf32=0 | filecheck %s --check-prefix=MUL
// RUN: lpu-run %s --function max --input 4xf32=1,2,3,4 --input 4xf32=0.5,4,-1,4 --input 4xf32=0 | filecheck %s --check-prefix=MAX
// RUN: lpu-run %s --function min --input 4xf32=1,2,3,4 --input 4xf32=0.5,4,-1,4 --input 4xf32=0 | filecheck %s --check-prefix=MIN
// RUN: lpu-run %s --function exp --input 4xf32=0,-inf,inf,0 --input 4xf32=0 | filecheck %s --check-prefix=EXP
// RUN: lpu-run %s --function log --input 4xf32=1,0,inf,1 --input 4xf32=0 | filecheck %s --check-prefix=LOG
// RUN: lpu-run %s --function sqrt --input 4xf32=4,0.25,9,0 --input 4xf32=0 | filecheck %s --check-prefix=SQRT
// RUN: lpu-run %s --function copy --input 4xf32=1,2,3,4 --input 4xf32=0 | filecheck %s --check-prefix=COPY
// RUN: lpu-run %s --function select --input 4xi1=1,0,0,1 --input 4xf32=1,2,3,4 --input 4xf32=5,6,7,8 --input 4xf32=0 | filecheck %s --check-prefix=SELECT

// GENERIC_RELU: result0: tensor<2x3xf32> = {{\[\[}}1.0, 0.0, 3.0], [4.0, 5.0, 0.0]]
func.func @generic_relu(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<2x3xf32>
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<2x3xf32>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// init + the sum
// GENERIC_SUM: result0: tensor<2xi32> = [16, 35]
func.func @generic_sum(%x: tensor<2x3xi32>, %init: tensor<2xi32>) -> tensor<2xi32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<2x3xi32>) outs(%init : tensor<2xi32>) {
  ^bb0(%in: i32, %out: i32):
    %s = arith.addi %out, %in : i32
    linalg.yield %s : i32
  } -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// an unrecognised body runs in row-major order
// GENERIC_DIGITS: result0: tensor<2xi32> = [7123, 456]
func.func @generic_digits(%x: tensor<2x3xi32>, %init: tensor<2xi32>) -> tensor<2xi32> {
  %ten = arith.constant 10 : i32
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<2x3xi32>) outs(%init : tensor<2xi32>) {
  ^bb0(%in: i32, %out: i32):
    %t = arith.muli %out, %ten : i32
    %s = arith.addi %t, %in : i32
    linalg.yield %s : i32
  } -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// REDUCE_MAX: result0: tensor<2xf32> = [3.0, 100.0]
func.func @reduce_max(%x: tensor<2x3xf32>, %init: tensor<2xf32>) -> tensor<2xf32> {
  %0 = linalg.reduce ins(%x : tensor<2x3xf32>) outs(%init : tensor<2xf32>) dimensions = [1]
    (%in: f32, %acc: f32) {
      %m = arith.maximumf %in, %acc : f32
      linalg.yield %m : f32
    }
  return %0 : tensor<2xf32>
}

// 10 i + j from linalg.index
// INDEX: result0: tensor<2x3xi32> = {{\[\[}}0, 1, 2], [10, 11, 12]]
func.func @index(%e: tensor<2x3xi32>) -> tensor<2x3xi32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%e : tensor<2x3xi32>) {
  ^bb0(%out: i32):
    %i = linalg.index 0 : index
    %j = linalg.index 1 : index
    %c = arith.constant 10 : index
    %t = arith.muli %i, %c : index
    %s = arith.addi %t, %j : index
    %v = arith.index_cast %s : index to i32
    linalg.yield %v : i32
  } -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// BROADCAST: result0: tensor<2x3xf32> = {{\[\[}}1.0, 2.0, 3.0], [1.0, 2.0, 3.0]]
func.func @broadcast(%v: tensor<3xf32>, %e: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = linalg.broadcast ins(%v : tensor<3xf32>) outs(%e : tensor<2x3xf32>) dimensions = [0]
  return %0 : tensor<2x3xf32>
}

// TRANSPOSE: result0: tensor<3x2xf32> = {{\[\[}}1.0, 4.0], [-2.0, 5.0], [3.0, -6.0]]
func.func @transpose(%x: tensor<2x3xf32>, %e: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %0 = linalg.transpose ins(%x : tensor<2x3xf32>) outs(%e : tensor<3x2xf32>) permutation = [1, 0]
  return %0 : tensor<3x2xf32>
}

// FILL: result0: tensor<2x3xf32> = {{\[\[}}2.5, 2.5, 2.5], [2.5, 2.5, 2.5]]
func.func @fill(%e: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %c = arith.constant 2.5 : f32
  %0 = linalg.fill ins(%c : f32) outs(%e : tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// init + a x b
// MATMUL: result0: tensor<2x2xf32> = {{\[\[}}4.5, 1.5], [-1.5, -0.5]]
func.func @matmul(%a: tensor<2x3xf32>, %b: tensor<3x2xf32>, %c: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %0 = linalg.matmul ins(%a, %b : tensor<2x3xf32>, tensor<3x2xf32>) outs(%c : tensor<2x2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// ADD: result0: tensor<4xf32> = [1.5, 6.0, 2.0, 8.0]
func.func @add(%a: tensor<4xf32>, %b: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.add ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// SUB: result0: tensor<4xf32> = [0.5, -2.0, 4.0, 0.0]
func.func @sub(%a: tensor<4xf32>, %b: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.sub ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MUL: result0: tensor<4xf32> = [0.5, 8.0, -3.0, 16.0]
func.func @mul(%a: tensor<4xf32>, %b: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.mul ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MAX: result0: tensor<4xf32> = [1.0, 4.0, 3.0, 4.0]
func.func @max(%a: tensor<4xf32>, %b: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.max ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// MIN: result0: tensor<4xf32> = [0.5, 2.0, -1.0, 4.0]
func.func @min(%a: tensor<4xf32>, %b: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.min ins(%a, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// EXP: result0: tensor<4xf32> = [1.0, 0.0, inf, 1.0]
func.func @exp(%a: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.exp ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// LOG: result0: tensor<4xf32> = [0.0, -inf, inf, 0.0]
func.func @log(%a: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.log ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// SQRT: result0: tensor<4xf32> = [2.0, 0.5, 3.0, 0.0]
func.func @sqrt(%a: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.sqrt ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// COPY: result0: tensor<4xf32> = [1.0, 2.0, 3.0, 4.0]
func.func @copy(%a: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.copy ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// SELECT: result0: tensor<4xf32> = [1.0, 6.0, 7.0, 4.0]
func.func @select(%c: tensor<4xi1>, %a: tensor<4xf32>, %b: tensor<4xf32>, %e: tensor<4xf32>) -> tensor<4xf32> {
  %0 = linalg.select ins(%c, %a, %b : tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// TOSA data movement, constants and pooling on the reference interpreter.
// Expected values are worked out by hand (exact in every type).

// RUN: lpu-run %s --function transpose --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=TRANSPOSE
// RUN: lpu-run %s --function reshape --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=RESHAPE
// RUN: lpu-run %s --function slice --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=SLICE
// RUN: lpu-run %s --function concat --input 2x3xf32=1,-2,3,4,5,-6 --input 1x3xf32=0.5,2,-1 | filecheck %s --check-prefix=CONCAT
// RUN: lpu-run %s --function pad --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=PAD
// RUN: lpu-run %s --function tile --input 1x3xf32=0.5,2,-1 | filecheck %s --check-prefix=TILE
// RUN: lpu-run %s --function reverse --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=REVERSE
// RUN: lpu-run %s --function gather --input 1x3x2xf32=1,2,3,4,5,6 --input 1x2xi32=2,0 | filecheck %s --check-prefix=GATHER
// RUN: lpu-run %s --function cond_if --input i1=1 --input 4xf32=-1,2,-3,4 | filecheck %s --check-prefix=COND_IF
// RUN: lpu-run %s --function const  | filecheck %s --check-prefix=CONST
// RUN: lpu-run %s --function max_pool2d --input 1x4x4x1xf32=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15 | filecheck %s --check-prefix=MAX_POOL2D

// TRANSPOSE: result0: tensor<3x2xf32> = {{\[\[}}1.0, 4.0], [-2.0, 5.0], [3.0, -6.0]]
func.func @transpose(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %0 = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// RESHAPE: result0: tensor<3x2xf32> = {{\[\[}}1.0, -2.0], [3.0, 4.0], [5.0, -6.0]]
func.func @reshape(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %s = tosa.const_shape {values = dense<[3, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %0 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// SLICE: result0: tensor<1x2xf32> = {{\[\[}}5.0, -6.0]]
func.func @slice(%a: tensor<2x3xf32>) -> tensor<1x2xf32> {
  %st = tosa.const_shape {values = dense<[1, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %sz = tosa.const_shape {values = dense<[1, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %0 = tosa.slice %a, %st, %sz : (tensor<2x3xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// CONCAT: result0: tensor<3x3xf32> = {{\[\[}}1.0, -2.0, 3.0], [4.0, 5.0, -6.0], [0.5, 2.0, -1.0]]
func.func @concat(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) -> tensor<3x3xf32> {
  %0 = tosa.concat %a, %b {axis = 0 : i32} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// PAD: result0: tensor<3x4xf32> = {{\[\[}}9.0, 9.0, 9.0, 9.0], [1.0, -2.0, 3.0, 9.0], [4.0, 5.0, -6.0, 9.0]]
func.func @pad(%a: tensor<2x3xf32>) -> tensor<3x4xf32> {
  %p = tosa.const_shape {values = dense<[1, 0, 0, 1]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %v = "tosa.const"() <{values = dense<9.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.pad %a, %p, %v : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// TILE: result0: tensor<2x6xf32> = {{\[\[}}0.5, 2.0, -1.0, 0.5, 2.0, -1.0], [0.5, 2.0, -1.0, 0.5, 2.0, -1.0]]
func.func @tile(%b: tensor<1x3xf32>) -> tensor<2x6xf32> {
  %m = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %0 = tosa.tile %b, %m : (tensor<1x3xf32>, !tosa.shape<2>) -> tensor<2x6xf32>
  return %0 : tensor<2x6xf32>
}

// REVERSE: result0: tensor<2x3xf32> = {{\[\[}}3.0, -2.0, 1.0], [-6.0, 5.0, 4.0]]
func.func @reverse(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %0 = tosa.reverse %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// GATHER: result0: tensor<1x2x2xf32> = {{\[\[}}[5.0, 6.0], [1.0, 2.0]]]
func.func @gather(%v: tensor<1x3x2xf32>, %i: tensor<1x2xi32>) -> tensor<1x2x2xf32> {
  %0 = tosa.gather %v, %i : (tensor<1x3x2xf32>, tensor<1x2xi32>) -> tensor<1x2x2xf32>
  return %0 : tensor<1x2x2xf32>
}

// COND_IF: result0: tensor<4xf32> = [1.0, 2.0, 3.0, 4.0]
func.func @cond_if(%c: tensor<i1>, %a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tosa.cond_if %c : tensor<i1> -> tensor<4xf32> {
    %n = tosa.abs %a : (tensor<4xf32>) -> tensor<4xf32>
    tosa.yield %n : tensor<4xf32>
  } else {
    tosa.yield %a : tensor<4xf32>
  }
  return %0 : tensor<4xf32>
}

// CONST: result0: tensor<2x2xi32> = {{\[\[}}1, 2], [3, 4]]
func.func @const() -> tensor<2x2xi32> {
  %0 = "tosa.const"() <{values = dense<[[1, 2], [3, 4]]> : tensor<2x2xi32>}> : () -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// columns padded on the left
// MAX_POOL2D: result0: tensor<1x2x2x1xf32> = {{\[\[}}{{\[\[}}4.0], [6.0]], {{\[\[}}12.0], [14.0]]]]
func.func @max_pool2d(%x: tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32> {
  %0 = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 1, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x1xf32>) -> tensor<1x2x2x1xf32>
  return %0 : tensor<1x2x2x1xf32>
}

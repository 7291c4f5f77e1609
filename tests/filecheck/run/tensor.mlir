// tensor ops on the reference interpreter.
// Expected values are worked out by hand (exact in every type).

// RUN: lpu-run %s --function empty  | filecheck %s --check-prefix=EMPTY
// RUN: lpu-run %s --function extract_slice --input 4x6xi32=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 | filecheck %s --check-prefix=EXTRACT_SLICE
// RUN: lpu-run %s --function insert_slice --input 1x2xi32=-1 --input 4x6xi32=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 | filecheck %s --check-prefix=INSERT_SLICE
// RUN: lpu-run %s --function collapse_shape --input 2x2xi32=1,2,3,4 | filecheck %s --check-prefix=COLLAPSE_SHAPE
// RUN: lpu-run %s --function expand_shape --input 4xi32=1,2,3,4 | filecheck %s --check-prefix=EXPAND_SHAPE
// RUN: lpu-run %s --function reshape --input 4xi32=1,2,3,4 | filecheck %s --check-prefix=RESHAPE
// RUN: lpu-run %s --function concat --input 1x2xi32=1,2 --input 1x2xi32=3,4 | filecheck %s --check-prefix=CONCAT
// RUN: lpu-run %s --function pad --input 1x2xi32=1,2 | filecheck %s --check-prefix=PAD
// RUN: lpu-run %s --function cast --input 2xi32=1,2 | filecheck %s --check-prefix=CAST
// RUN: lpu-run %s --function extract --input 4x6xi32=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 | filecheck %s --check-prefix=EXTRACT
// RUN: lpu-run %s --function insert --input 2xi32=1,2 | filecheck %s --check-prefix=INSERT
// RUN: lpu-run %s --function from_elements --input i32=4 --input i32=5 | filecheck %s --check-prefix=FROM_ELEMENTS
// RUN: lpu-run %s --function splat --input f32=1.5 | filecheck %s --check-prefix=SPLAT
// RUN: lpu-run %s --function dim --input 4x6xi32=0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23 | filecheck %s --check-prefix=DIM

// zeros (undefined in MLIR)
// EMPTY: result0: tensor<2xi32> = [0, 0]
func.func @empty() -> tensor<2xi32> {
  %0 = tensor.empty() : tensor<2xi32>
  return %0 : tensor<2xi32>
}

// EXTRACT_SLICE: result0: tensor<2x3xi32> = {{\[\[}}8, 9, 10], [20, 21, 22]]
func.func @extract_slice(%x: tensor<4x6xi32>) -> tensor<2x3xi32> {
  %0 = tensor.extract_slice %x[1, 2] [2, 3] [2, 1] : tensor<4x6xi32> to tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// INSERT_SLICE: result0: tensor<4x6xi32> = {{\[\[}}0, 1, 2, 3, 4, 5], [6, 7, 8, 9, 10, 11], [12, 13, 14, 15, 16, 17], [18, 19, 20, 21, -1, -1]]
func.func @insert_slice(%s: tensor<1x2xi32>, %x: tensor<4x6xi32>) -> tensor<4x6xi32> {
  %0 = tensor.insert_slice %s into %x[3, 4] [1, 2] [1, 1] : tensor<1x2xi32> into tensor<4x6xi32>
  return %0 : tensor<4x6xi32>
}

// COLLAPSE_SHAPE: result0: tensor<4xi32> = [1, 2, 3, 4]
func.func @collapse_shape(%x: tensor<2x2xi32>) -> tensor<4xi32> {
  %0 = tensor.collapse_shape %x [[0, 1]] : tensor<2x2xi32> into tensor<4xi32>
  return %0 : tensor<4xi32>
}

// EXPAND_SHAPE: result0: tensor<2x2xi32> = {{\[\[}}1, 2], [3, 4]]
func.func @expand_shape(%x: tensor<4xi32>) -> tensor<2x2xi32> {
  %0 = tensor.expand_shape %x [[0, 1]] output_shape [2, 2] : tensor<4xi32> into tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// RESHAPE: result0: tensor<2x2xi32> = {{\[\[}}1, 2], [3, 4]]
func.func @reshape(%x: tensor<4xi32>) -> tensor<2x2xi32> {
  %s = arith.constant dense<[2, 2]> : tensor<2xi64>
  %0 = tensor.reshape %x(%s) : (tensor<4xi32>, tensor<2xi64>) -> tensor<2x2xi32>
  return %0 : tensor<2x2xi32>
}

// CONCAT: result0: tensor<1x4xi32> = {{\[\[}}1, 2, 3, 4]]
func.func @concat(%a: tensor<1x2xi32>, %b: tensor<1x2xi32>) -> tensor<1x4xi32> {
  %0 = tensor.concat dim(1) %a, %b : (tensor<1x2xi32>, tensor<1x2xi32>) -> tensor<1x4xi32>
  return %0 : tensor<1x4xi32>
}

// PAD: result0: tensor<2x4xi32> = {{\[\[}}7, 7, 7, 7], [1, 2, 7, 7]]
func.func @pad(%x: tensor<1x2xi32>) -> tensor<2x4xi32> {
  %c = arith.constant 7 : i32
  %0 = tensor.pad %x low[1, 0] high[0, 2] {
  ^bb0(%i: index, %j: index):
    tensor.yield %c : i32
  } : tensor<1x2xi32> to tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// CAST: result0: tensor<2xi32> = [1, 2]
func.func @cast(%x: tensor<2xi32>) -> tensor<2xi32> {
  %0 = tensor.cast %x : tensor<2xi32> to tensor<2xi32>
  return %0 : tensor<2xi32>
}

// EXTRACT: result0: {{(tensor<)?}}i32{{>?}} = 14
func.func @extract(%x: tensor<4x6xi32>) -> i32 {
  %i = arith.constant 2 : index
  %0 = tensor.extract %x[%i, %i] : tensor<4x6xi32>
  return %0 : i32
}

// INSERT: result0: tensor<2xi32> = [1, 9]
func.func @insert(%x: tensor<2xi32>) -> tensor<2xi32> {
  %i = arith.constant 1 : index
  %v = arith.constant 9 : i32
  %0 = tensor.insert %v into %x[%i] : tensor<2xi32>
  return %0 : tensor<2xi32>
}

// FROM_ELEMENTS: result0: tensor<3xi32> = [4, 5, 4]
func.func @from_elements(%a: i32, %b: i32) -> tensor<3xi32> {
  %0 = tensor.from_elements %a, %b, %a : tensor<3xi32>
  return %0 : tensor<3xi32>
}

// SPLAT: result0: tensor<2xf32> = [1.5, 1.5]
func.func @splat(%a: f32) -> tensor<2xf32> {
  %0 = tensor.splat %a : tensor<2xf32>
  return %0 : tensor<2xf32>
}

// DIM: result0: {{(tensor<)?}}i64{{>?}} = 6
func.func @dim(%x: tensor<4x6xi32>) -> index {
  %i = arith.constant 1 : index
  %0 = tensor.dim %x, %i : tensor<4x6xi32>
  return %0 : index
}

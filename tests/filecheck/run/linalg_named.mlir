// linalg's named ops on the reference, as upstream's linalg integration tests
// use them (constants in, values worked out by hand; every sum exact).

// RUN: lpu-run %s --function batch_matmul | filecheck %s --check-prefix=BMM
// RUN: lpu-run %s --function matvec_i8 | filecheck %s --check-prefix=MATVEC
// RUN: lpu-run %s --function conv | filecheck %s --check-prefix=CONV
// RUN: lpu-run %s --function argmax | filecheck %s --check-prefix=ARGMAX
// RUN: lpu-run %s --function pack | filecheck %s --check-prefix=PACK

// BMM: result0: tensor<2x1x1xf32> = {{\[\[\[}}11.0]], {{\[\[}}-1.0]]]
func.func @batch_matmul() -> tensor<2x1x1xf32> {
  %a = arith.constant dense<[[[1.0, 2.0]], [[3.0, -4.0]]]> : tensor<2x1x2xf32>
  %b = arith.constant dense<[[[3.0], [4.0]], [[1.0], [1.0]]]> : tensor<2x2x1xf32>
  %c = arith.constant dense<0.0> : tensor<2x1x1xf32>
  %0 = linalg.batch_matmul ins(%a, %b : tensor<2x1x2xf32>, tensor<2x2x1xf32>) outs(%c : tensor<2x1x1xf32>) -> tensor<2x1x1xf32>
  return %0 : tensor<2x1x1xf32>
}

// i8 x i8 -> i32: 127 * 127 + 127 * 127 does not fit i8 and does not wrap
// MATVEC: result0: tensor<2xi32> = [32258, -127]
func.func @matvec_i8() -> tensor<2xi32> {
  %a = arith.constant dense<[[127, 127], [-1, 0]]> : tensor<2x2xi8>
  %x = arith.constant dense<[127, 127]> : tensor<2xi8>
  %c = arith.constant dense<0> : tensor<2xi32>
  %0 = linalg.matvec ins(%a, %x : tensor<2x2xi8>, tensor<2xi8>) outs(%c : tensor<2xi32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

// a 3x3 input of ones, a 2x2 kernel [[1, 2], [3, 4]]: every window sums to 10
// CONV: result0: tensor<1x2x2x1xi32> = {{\[\[\[\[}}10], [10]], {{\[\[}}10], [10]]]]
func.func @conv() -> tensor<1x2x2x1xi32> {
  %in = arith.constant dense<1> : tensor<1x3x3x1xi32>
  %w = arith.constant dense<[[[[1]], [[2]]], [[[3]], [[4]]]]> : tensor<2x2x1x1xi32>
  %c = arith.constant dense<0> : tensor<1x2x2x1xi32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%in, %w : tensor<1x3x3x1xi32>, tensor<2x2x1x1xi32>) outs(%c : tensor<1x2x2x1xi32>) -> tensor<1x2x2x1xi32>
  return %0 : tensor<1x2x2x1xi32>
}

// a generic with two results: the maximum and its index, as argmax lowerings emit
// ARGMAX: result0: tensor<2xf32> = [7.0, 9.0]
// ARGMAX: result1: tensor<2xi32> = [1, 2]
func.func @argmax() -> (tensor<2xf32>, tensor<2xi32>) {
  %x = arith.constant dense<[[1.0, 7.0, 2.0], [3.0, 4.0, 9.0]]> : tensor<2x3xf32>
  %m = arith.constant dense<0xFF800000> : tensor<2xf32>
  %i = arith.constant dense<0> : tensor<2xi32>
  %0:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<2x3xf32>) outs(%m, %i : tensor<2xf32>, tensor<2xi32>) {
  ^bb0(%in: f32, %acc: f32, %idx: i32):
    %j = linalg.index 1 : index
    %ji = arith.index_cast %j : index to i32
    %gt = arith.cmpf ogt, %in, %acc : f32
    %nm = arith.select %gt, %in, %acc : f32
    %ni = arith.select %gt, %ji, %idx : i32
    linalg.yield %nm, %ni : f32, i32
  } -> (tensor<2xf32>, tensor<2xi32>)
  return %0#0, %0#1 : tensor<2xf32>, tensor<2xi32>
}

// 3 rows tiled by 2 (padded with -1), outer dims transposed
// PACK: result0: tensor<1x2x2x1xi32> = {{\[\[\[\[}}0], [2]], {{\[\[}}4], [-1]]]]
func.func @pack() -> tensor<1x2x2x1xi32> {
  %x = arith.constant dense<[[0], [2], [4]]> : tensor<3x1xi32>
  %pad = arith.constant -1 : i32
  %e = tensor.empty() : tensor<1x2x2x1xi32>
  %0 = linalg.pack %x padding_value(%pad : i32) outer_dims_perm = [1, 0] inner_dims_pos = [0, 1] inner_tiles = [2, 1] into %e : tensor<3x1xi32> -> tensor<1x2x2x1xi32>
  return %0 : tensor<1x2x2x1xi32>
}

// TOSA reductions and argmax on the reference interpreter.
// Expected values are worked out by hand (exact in every type).

// RUN: lpu-run %s --function reduce_sum_0 --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=REDUCE_SUM_0
// RUN: lpu-run %s --function reduce_sum_1 --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=REDUCE_SUM_1
// RUN: lpu-run %s --function reduce_max_1 --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=REDUCE_MAX_1
// RUN: lpu-run %s --function reduce_min_0 --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=REDUCE_MIN_0
// RUN: lpu-run %s --function reduce_product_1 --input 2x3xf32=1,-2,3,4,5,-6 | filecheck %s --check-prefix=REDUCE_PRODUCT_1
// RUN: lpu-run %s --function reduce_all --input 2x3xi1=1,0,1,1,1,0 | filecheck %s --check-prefix=REDUCE_ALL
// RUN: lpu-run %s --function reduce_any --input 2x3xi1=0,0,0,0,1,0 | filecheck %s --check-prefix=REDUCE_ANY
// RUN: lpu-run %s --function reduce_max_ignore --input 2x2xf32=nan,1,2,nan | filecheck %s --check-prefix=REDUCE_MAX_IGNORE
// RUN: lpu-run %s --function argmax --input 2x3xf32=1,7,7,9,0,9 | filecheck %s --check-prefix=ARGMAX

// REDUCE_SUM_0: result0: tensor<1x3xf32> = {{\[\[}}5.0, 3.0, -3.0]]
func.func @reduce_sum_0(%a: tensor<2x3xf32>) -> tensor<1x3xf32> {
  %0 = tosa.reduce_sum %a {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// REDUCE_SUM_1: result0: tensor<2x1xf32> = {{\[\[}}2.0], [3.0]]
func.func @reduce_sum_1(%a: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %0 = tosa.reduce_sum %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// REDUCE_MAX_1: result0: tensor<2x1xf32> = {{\[\[}}3.0], [5.0]]
func.func @reduce_max_1(%a: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %0 = tosa.reduce_max %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// REDUCE_MIN_0: result0: tensor<1x3xf32> = {{\[\[}}1.0, -2.0, -6.0]]
func.func @reduce_min_0(%a: tensor<2x3xf32>) -> tensor<1x3xf32> {
  %0 = tosa.reduce_min %a {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  return %0 : tensor<1x3xf32>
}

// REDUCE_PRODUCT_1: result0: tensor<2x1xf32> = {{\[\[}}-6.0], [-120.0]]
func.func @reduce_product_1(%a: tensor<2x3xf32>) -> tensor<2x1xf32> {
  %0 = tosa.reduce_product %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// REDUCE_ALL: result0: tensor<1x3xi1> = {{\[\[}}True, False, False]]
func.func @reduce_all(%p: tensor<2x3xi1>) -> tensor<1x3xi1> {
  %0 = tosa.reduce_all %p {axis = 0 : i32} : (tensor<2x3xi1>) -> tensor<1x3xi1>
  return %0 : tensor<1x3xi1>
}

// REDUCE_ANY: result0: tensor<2x1xi1> = {{\[\[}}False], [True]]
func.func @reduce_any(%p: tensor<2x3xi1>) -> tensor<2x1xi1> {
  %0 = tosa.reduce_any %p {axis = 1 : i32} : (tensor<2x3xi1>) -> tensor<2x1xi1>
  return %0 : tensor<2x1xi1>
}

// REDUCE_MAX_IGNORE: result0: tensor<1x2xf32> = {{\[\[}}2.0, 1.0]]
func.func @reduce_max_ignore(%a: tensor<2x2xf32>) -> tensor<1x2xf32> {
  %0 = tosa.reduce_max %a {axis = 0 : i32, nan_mode = IGNORE} : (tensor<2x2xf32>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}

// the first maximum
// ARGMAX: result0: tensor<2xi32> = [1, 0]
func.func @argmax(%a: tensor<2x3xf32>) -> tensor<2xi32> {
  %0 = tosa.argmax %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2xi32>
  return %0 : tensor<2xi32>
}

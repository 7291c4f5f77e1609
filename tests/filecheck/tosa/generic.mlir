// RUN: lpu-opt %s | filecheck %s

// Upstream's generic form (and its older spellings: inherent attributes in the
// attribute dictionary, quoted enum keywords) reads into the same ops, which
// print in the custom form.

// CHECK-LABEL: func.func @generic(
func.func @generic(%a: tensor<2x3xf32>, %x: tensor<2x3xi8>) -> tensor<2x3xf32> {
  // CHECK: %c = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1x3xf32>}> : () -> tensor<1x3xf32>
  %c = "tosa.const"() {values = dense<1.0> : tensor<1x3xf32>} : () -> tensor<1x3xf32>
  // CHECK: %0 = tosa.add %a, %c : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %0 = "tosa.add"(%a, %c) : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  // CHECK: %1 = tosa.maximum %0, %c {nan_mode = IGNORE} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %1 = "tosa.maximum"(%0, %c) <{nan_mode = #tosa.nan_mode<IGNORE>}> : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  // CHECK: %2 = tosa.clamp %1 {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %2 = "tosa.clamp"(%1) <{min_val = 0.0 : f32, max_val = 6.0 : f32, nan_mode = #tosa.nan_mode<PROPAGATE>}> : (tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: %3 = tosa.reduce_max %2 {axis = 1 : i32, nan_mode = IGNORE} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  %3 = tosa.reduce_max %2 {axis = 1 : i32, nan_mode = "IGNORE"} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  // CHECK: %s = tosa.const_shape {values = dense<[3, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %s = "tosa.const_shape"() <{values = dense<[3, 2]> : tensor<2xindex>}> : () -> !tosa.shape<2>
  // CHECK: %4 = tosa.reshape %2, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
  %4 = "tosa.reshape"(%2, %s) : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
  // CHECK: %5 = tosa.transpose %4 {perms = array<i32: 1, 0>} : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %5 = "tosa.transpose"(%4) <{perms = array<i32: 1, 0>}> : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %sh = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  // CHECK: %6 = tosa.rescale %x, %m, %sh, %zp, %zp {input_unsigned = false, output_unsigned = true, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3xi8>
  %6 = "tosa.rescale"(%x, %m, %sh, %zp, %zp) <{scale32 = true, rounding_mode = #tosa.rounding_mode<SINGLE_ROUND>, per_channel = false, input_unsigned = false, output_unsigned = true}> : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3xi8>
  // CHECK: %7 = tosa.mul %x, %x, %zp : (tensor<2x3xi8>, tensor<2x3xi8>, tensor<1xi8>) -> tensor<2x3xi32>
  %7 = "tosa.mul"(%x, %x, %zp) : (tensor<2x3xi8>, tensor<2x3xi8>, tensor<1xi8>) -> tensor<2x3xi32>
  return %5 : tensor<2x3xf32>
}

// The generic form printed back reads again.
// RUN: lpu-opt %s --print-op-generic | filecheck %s --check-prefix=GENERIC
// GENERIC: "tosa.maximum"(%0, %c) <{nan_mode = #tosa.nan_mode<IGNORE>}>
// GENERIC: "tosa.rescale"(%x, %m, %sh, %zp, %zp) <{{.*}}rounding_mode = #tosa.rounding_mode<SINGLE_ROUND>

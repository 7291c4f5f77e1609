// RUN: lpu-opt %s | filecheck %s
// RUN: lpu-opt %s | lpu-opt | filecheck %s
// RUN: lpu-opt %s --print-op-generic | lpu-opt | filecheck %s

// Every TOSA 1.0 op in upstream's custom form reads, verifies and prints back
// the same (enum keywords bare, a default nan_mode left out).

// CHECK-LABEL: func.func @elementwise(
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>, %i: tensor<2x3xi32>, %j: tensor<2x1xi32>, %p: tensor<2x3xi1>) -> tensor<2x3xf32> {
// CHECK: %0 = tosa.add %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %0 = tosa.add %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: %1 = tosa.sub %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %1 = tosa.sub %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK: %2 = tosa.mul %a, %b, %shift : (tensor<2x3xf32>, tensor<1x3xf32>, tensor<1xi8>) -> tensor<2x3xf32>
  %2 = tosa.mul %a, %b, %shift : (tensor<2x3xf32>, tensor<1x3xf32>, tensor<1xi8>) -> tensor<2x3xf32>
// CHECK: %3 = tosa.maximum %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %3 = tosa.maximum %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: %4 = tosa.minimum %a, %b {nan_mode = IGNORE} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %4 = tosa.minimum %a, %b {nan_mode = IGNORE} : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: %5 = tosa.pow %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %5 = tosa.pow %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: %6 = tosa.intdiv %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  %6 = tosa.intdiv %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
// CHECK: %7 = tosa.bitwise_and %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  %7 = tosa.bitwise_and %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
// CHECK: %8 = tosa.bitwise_or %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  %8 = tosa.bitwise_or %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
// CHECK: %9 = tosa.bitwise_xor %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  %9 = tosa.bitwise_xor %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
// CHECK: %10 = tosa.logical_left_shift %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  %10 = tosa.logical_left_shift %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
// CHECK: %11 = tosa.logical_right_shift %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  %11 = tosa.logical_right_shift %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
// CHECK: %12 = tosa.arithmetic_right_shift %i, %j {round = true} : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
  %12 = tosa.arithmetic_right_shift %i, %j {round = true} : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi32>
// CHECK: %13 = tosa.logical_and %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %13 = tosa.logical_and %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
// CHECK: %14 = tosa.logical_or %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %14 = tosa.logical_or %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
// CHECK: %15 = tosa.logical_xor %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %15 = tosa.logical_xor %p, %p : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
// CHECK: %16 = tosa.logical_not %p : (tensor<2x3xi1>) -> tensor<2x3xi1>
  %16 = tosa.logical_not %p : (tensor<2x3xi1>) -> tensor<2x3xi1>
// CHECK: %17 = tosa.equal %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xi1>
  %17 = tosa.equal %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xi1>
// CHECK: %18 = tosa.greater %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xi1>
  %18 = tosa.greater %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xi1>
// CHECK: %19 = tosa.greater_equal %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi1>
  %19 = tosa.greater_equal %i, %j : (tensor<2x3xi32>, tensor<2x1xi32>) -> tensor<2x3xi1>
// CHECK: %20 = tosa.select %17, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  %20 = tosa.select %17, %a, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
// CHECK: %21 = tosa.abs %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %21 = tosa.abs %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %22 = tosa.exp %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %22 = tosa.exp %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %23 = tosa.log %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %23 = tosa.log %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %24 = tosa.tanh %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %24 = tosa.tanh %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %25 = tosa.sigmoid %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %25 = tosa.sigmoid %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %26 = tosa.erf %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %26 = tosa.erf %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %27 = tosa.rsqrt %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %27 = tosa.rsqrt %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %28 = tosa.reciprocal %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %28 = tosa.reciprocal %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %29 = tosa.floor %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %29 = tosa.floor %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %30 = tosa.ceil %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %30 = tosa.ceil %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %31 = tosa.bitwise_not %i : (tensor<2x3xi32>) -> tensor<2x3xi32>
  %31 = tosa.bitwise_not %i : (tensor<2x3xi32>) -> tensor<2x3xi32>
// CHECK: %zp = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK: %32 = tosa.negate %a, %zp, %zp : (tensor<2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3xf32>
  %32 = tosa.negate %a, %zp, %zp : (tensor<2x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x3xf32>
// CHECK: %33 = tosa.clamp %a {max_val = 6.000000e+00 : f32, min_val = 0.000000e+00 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %33 = tosa.clamp %a {min_val = 0.0 : f32, max_val = 6.0 : f32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %34 = tosa.clamp %i {max_val = 2 : i32, min_val = -2 : i32} : (tensor<2x3xi32>) -> tensor<2x3xi32>
  %34 = tosa.clamp %i {min_val = -2 : i32, max_val = 2 : i32, nan_mode = PROPAGATE} : (tensor<2x3xi32>) -> tensor<2x3xi32>
// CHECK: %35 = tosa.identity %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %35 = tosa.identity %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %36 = tosa.cast %i : (tensor<2x3xi32>) -> tensor<2x3xf32>
  %36 = tosa.cast %i : (tensor<2x3xi32>) -> tensor<2x3xf32>
// CHECK: %37 = tosa.sin %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %37 = tosa.sin %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %38 = tosa.cos %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %38 = tosa.cos %a : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @quantized(
func.func @quantized(%x: tensor<2x3xi8>, %w: tensor<2x3x4xi8>, %t: tensor<2x3xi16>) -> tensor<2x3xi32> {
// CHECK: %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK: %0 = tosa.mul %x, %x, %shift : (tensor<2x3xi8>, tensor<2x3xi8>, tensor<1xi8>) -> tensor<2x3xi32>
  %0 = tosa.mul %x, %x, %shift : (tensor<2x3xi8>, tensor<2x3xi8>, tensor<1xi8>) -> tensor<2x3xi32>
// CHECK: %zp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zp = "tosa.const"() <{values = dense<-3> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK: %1 = tosa.negate %x, %zp, %zp : (tensor<2x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3xi8>
  %1 = tosa.negate %x, %zp, %zp : (tensor<2x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3xi8>
// CHECK: %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
  %m = "tosa.const"() <{values = dense<1073741824> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK: %s = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %s = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK: %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK: %2 = tosa.rescale %x, %m, %s, %zp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<2x3xi32>
  %2 = tosa.rescale %x, %m, %s, %zp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = DOUBLE_ROUND, scale32 = true} : (tensor<2x3xi8>, tensor<1xi32>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<2x3xi32>
// CHECK: %table = "tosa.const"() <{values = dense<1> : tensor<256xi8>}> : () -> tensor<256xi8>
  %table = "tosa.const"() <{values = dense<1> : tensor<256xi8>}> : () -> tensor<256xi8>
// CHECK: %3 = tosa.table %x, %table : (tensor<2x3xi8>, tensor<256xi8>) -> tensor<2x3xi8>
  %3 = tosa.table %x, %table : (tensor<2x3xi8>, tensor<256xi8>) -> tensor<2x3xi8>
// CHECK: %table16 = "tosa.const"() <{values = dense<1> : tensor<513xi16>}> : () -> tensor<513xi16>
  %table16 = "tosa.const"() <{values = dense<1> : tensor<513xi16>}> : () -> tensor<513xi16>
// CHECK: %4 = tosa.table %t, %table16 : (tensor<2x3xi16>, tensor<513xi16>) -> tensor<2x3xi32>
  %4 = tosa.table %t, %table16 : (tensor<2x3xi16>, tensor<513xi16>) -> tensor<2x3xi32>
// CHECK: %w2 = "tosa.const"() <{values = dense<2> : tensor<2x4x5xi8>}> : () -> tensor<2x4x5xi8>
  %w2 = "tosa.const"() <{values = dense<2> : tensor<2x4x5xi8>}> : () -> tensor<2x4x5xi8>
// CHECK: %5 = tosa.matmul %w, %w2, %zp, %zp : (tensor<2x3x4xi8>, tensor<2x4x5xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3x5xi32>
  %5 = tosa.matmul %w, %w2, %zp, %zp : (tensor<2x3x4xi8>, tensor<2x4x5xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<2x3x5xi32>
  return %0 : tensor<2x3xi32>
}

// CHECK-LABEL: func.func @matmul(
func.func @matmul(%a: tensor<1x4x8xf16>, %b: tensor<1x8x3xf16>, %c: tensor<2x4x8xbf16>, %d: tensor<2x8x3xbf16>) -> tensor<1x4x3xf32> {
// CHECK: %zp = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf16>}> : () -> tensor<1xf16>
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
// CHECK: %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf16>, tensor<1x8x3xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x3xf32>
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf16>, tensor<1x8x3xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x3xf32>
// CHECK: %1 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf16>, tensor<1x8x3xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x3xf16>
  %1 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xf16>, tensor<1x8x3xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x3xf16>
// CHECK: %bzp = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xbf16>}> : () -> tensor<1xbf16>
  %bzp = "tosa.const"() <{values = dense<0.0> : tensor<1xbf16>}> : () -> tensor<1xbf16>
// CHECK: %2 = tosa.matmul %c, %d, %bzp, %bzp : (tensor<2x4x8xbf16>, tensor<2x8x3xbf16>, tensor<1xbf16>, tensor<1xbf16>) -> tensor<2x4x3xf32>
  %2 = tosa.matmul %c, %d, %bzp, %bzp : (tensor<2x4x8xbf16>, tensor<2x8x3xbf16>, tensor<1xbf16>, tensor<1xbf16>) -> tensor<2x4x3xf32>
  return %0 : tensor<1x4x3xf32>
}

// CHECK-LABEL: func.func @reductions(
func.func @reductions(%a: tensor<2x3xf32>, %p: tensor<2x3xi1>) -> tensor<1x3xf32> {
// CHECK: %0 = tosa.reduce_sum %a {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  %0 = tosa.reduce_sum %a {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>
// CHECK: %1 = tosa.reduce_max %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  %1 = tosa.reduce_max %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x1xf32>
// CHECK: %2 = tosa.reduce_min %a {axis = 1 : i32, nan_mode = IGNORE} : (tensor<2x3xf32>) -> tensor<2x1xf32>
  %2 = tosa.reduce_min %a {axis = 1 : i32, nan_mode = IGNORE} : (tensor<2x3xf32>) -> tensor<2x1xf32>
// CHECK: %3 = tosa.reduce_product %a {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>
  %3 = tosa.reduce_product %a {axis = 0 : i32} : (tensor<2x3xf32>) -> tensor<1x3xf32>
// CHECK: %4 = tosa.reduce_all %p {axis = 0 : i32} : (tensor<2x3xi1>) -> tensor<1x3xi1>
  %4 = tosa.reduce_all %p {axis = 0 : i32} : (tensor<2x3xi1>) -> tensor<1x3xi1>
// CHECK: %5 = tosa.reduce_any %p {axis = 1 : i32} : (tensor<2x3xi1>) -> tensor<2x1xi1>
  %5 = tosa.reduce_any %p {axis = 1 : i32} : (tensor<2x3xi1>) -> tensor<2x1xi1>
// CHECK: %6 = tosa.argmax %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2xi32>
  %6 = tosa.argmax %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2xi32>
// CHECK: %7 = tosa.argmax %a {axis = 0 : i32, nan_mode = IGNORE} : (tensor<2x3xf32>) -> tensor<3xi32>
  %7 = tosa.argmax %a {axis = 0 : i32, nan_mode = IGNORE} : (tensor<2x3xf32>) -> tensor<3xi32>
  return %0 : tensor<1x3xf32>
}

// CHECK-LABEL: func.func @layout(
func.func @layout(%a: tensor<2x3xf32>, %v: tensor<1x5x3xf32>, %idx: tensor<1x2xi32>) -> tensor<3x2xf32> {
// CHECK: %0 = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %0 = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK: %s = tosa.const_shape {values = dense<[3, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %s = tosa.const_shape {values = dense<[3, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK: %1 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
  %1 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<3x2xf32>
// CHECK: %start = tosa.const_shape {values = dense<[0, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %start = tosa.const_shape {values = dense<[0, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK: %size = tosa.const_shape {values = dense<2> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK: %2 = tosa.slice %a, %start, %size : (tensor<2x3xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xf32>
  %2 = tosa.slice %a, %start, %size : (tensor<2x3xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xf32>
// CHECK: %3 = tosa.concat %a, %a {axis = 0 : i32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %3 = tosa.concat %a, %a {axis = 0 : i32} : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
// CHECK: %padding = tosa.const_shape {values = dense<[1, 0, 0, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %padding = tosa.const_shape {values = dense<[1, 0, 0, 2]> : tensor<4xindex>} : () -> !tosa.shape<4>
// CHECK: %pad_const = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
  %pad_const = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK: %4 = tosa.pad %a, %padding, %pad_const : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<3x5xf32>
  %4 = tosa.pad %a, %padding, %pad_const : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<3x5xf32>
// CHECK: %m = tosa.const_shape {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %m = tosa.const_shape {values = dense<[2, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK: %5 = tosa.tile %a, %m : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>
  %5 = tosa.tile %a, %m : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>
// CHECK: %6 = tosa.gather %v, %idx : (tensor<1x5x3xf32>, tensor<1x2xi32>) -> tensor<1x2x3xf32>
  %6 = tosa.gather %v, %idx : (tensor<1x5x3xf32>, tensor<1x2xi32>) -> tensor<1x2x3xf32>
// CHECK: %7 = tosa.reverse %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %7 = tosa.reverse %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %img = "tosa.const"() <{values = dense<1.000000e+00> : tensor<1x4x4x2xf32>}> : () -> tensor<1x4x4x2xf32>
  %img = "tosa.const"() <{values = dense<1.0> : tensor<1x4x4x2xf32>}> : () -> tensor<1x4x4x2xf32>
// CHECK: %8 = tosa.max_pool2d %img {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  %8 = tosa.max_pool2d %img {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32>
  return %0 : tensor<3x2xf32>
}

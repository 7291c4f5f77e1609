// tosa.matmul on the reference interpreter: the MXM's fused K-block product.
// Expected values are worked out by hand (exact in every type).

// RUN: lpu-run %s --function matmul_f32 --input 2x2x3xf32=1,2,3,4,5,6,7,8,9,10,11,12 --input 2x3x1xf32=1,0,-1,2,2,2 | filecheck %s --check-prefix=MATMUL_F32
// RUN: lpu-run %s --function matmul_i8_zp --input 1x2x2xi8=127,-128,0,1 --input 1x2x2xi8=3,2,-128,127 | filecheck %s --check-prefix=MATMUL_I8_ZP
// RUN: lpu-run %s --function matmul_f16_f16 --input 1x1x3xf16=1 --input 1x3x1xf16=1024,1,1 | filecheck %s --check-prefix=MATMUL_F16_F16
// RUN: lpu-run %s --function matmul_bf16 --input 1x1x2xbf16=256,1 --input 1x2x1xbf16=256,1 | filecheck %s --check-prefix=MATMUL_BF16

// MATMUL_F32: result0: tensor<2x2x1xf32> = {{\[\[}}[-2.0], [-2.0]], {{\[\[}}48.0], [66.0]]]
func.func @matmul_f32(%a: tensor<2x2x3xf32>, %b: tensor<2x3x1xf32>) -> tensor<2x2x1xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<2x2x3xf32>, tensor<2x3x1xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x2x1xf32>
  return %0 : tensor<2x2x1xf32>
}

// (a + 1) x (b - 2)
// MATMUL_I8_ZP: result0: tensor<1x2x2xi32> = {{\[\[}}[16638, -15875], [-259, 250]]]
func.func @matmul_i8_zp(%a: tensor<1x2x2xi8>, %b: tensor<1x2x2xi8>) -> tensor<1x2x2xi32> {
  %za = "tosa.const"() <{values = dense<-1> : tensor<1xi8>}> : () -> tensor<1xi8>
  %zb = "tosa.const"() <{values = dense<2> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.matmul %a, %b, %za, %zb : (tensor<1x2x2xi8>, tensor<1x2x2xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x2xi32>
  return %0 : tensor<1x2x2xi32>
}

// one rounding of the exact sum: step-wise f16 adds would give 1024
// MATMUL_F16_F16: result0: tensor<1x1x1xf16> = {{\[\[}}[1026.0]]]
func.func @matmul_f16_f16(%a: tensor<1x1x3xf16>, %b: tensor<1x3x1xf16>) -> tensor<1x1x1xf16> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x1x3xf16>, tensor<1x3x1xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x1xf16>
  return %0 : tensor<1x1x1xf16>
}

// into f32: exact
// MATMUL_BF16: result0: tensor<1x1x1xf32> = {{\[\[}}[65537.0]]]
func.func @matmul_bf16(%a: tensor<1x1x2xbf16>, %b: tensor<1x2x1xbf16>) -> tensor<1x1x1xf32> {
  %zp = "tosa.const"() <{values = dense<0.0> : tensor<1xbf16>}> : () -> tensor<1xbf16>
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x1x2xbf16>, tensor<1x2x1xbf16>, tensor<1xbf16>, tensor<1xbf16>) -> tensor<1x1x1xf32>
  return %0 : tensor<1x1x1xf32>
}

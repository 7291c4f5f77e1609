// A matmul's K split and the order of its partial sums, stated in the IR
// (docs/numerics.md, "Partial sums of a split K"): products 2**30, 64, 1,
// -2**30 as four parts, added in the order lpu.k_order gives.

// RUN: lpu-run %s --function chain --input 1x1x4xf16=32768,64,1,-32768 --input 1x4x1xf16=32768,1,1,32768 | filecheck %s --check-prefix=CHAIN
// RUN: lpu-run %s --function tree --input 1x1x4xf16=32768,64,1,-32768 --input 1x4x1xf16=32768,1,1,32768 | filecheck %s --check-prefix=TREE
// RUN: not lpu-run %s --function twice --input 1x1x4xf16=0 --input 1x4x1xf16=0 2>&1 | filecheck %s --check-prefix=TWICE

// ((2**30 + 64) + 1) - 2**30 in f32
// CHAIN: result0: tensor<1x1x1xf32> = {{\[\[\[}}0.0]]]
// (2**30 - 2**30) + (64 + 1)
// TREE: result0: tensor<1x1x1xf32> = {{\[\[\[}}65.0]]]
// TWICE: error: tosa.matmul at {{.*}}k_split.mlir:[[# @LINE + 13]]:{{[0-9]+}}: a K order names each of the 4 parts once, not [0, 0, 1, 2]
func.func @chain(%a: tensor<1x1x4xf16>, %b: tensor<1x4x1xf16>) -> tensor<1x1x1xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %0 = tosa.matmul %a, %b, %z, %z {lpu.k_parts = array<i64: 1, 2, 3>} : (tensor<1x1x4xf16>, tensor<1x4x1xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x1xf32>
  return %0 : tensor<1x1x1xf32>
}
func.func @tree(%a: tensor<1x1x4xf16>, %b: tensor<1x4x1xf16>) -> tensor<1x1x1xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %0 = tosa.matmul %a, %b, %z, %z {lpu.k_parts = array<i64: 1, 2, 3>, lpu.k_order = [[0 : i64, 3 : i64], [1 : i64, 2 : i64]]} : (tensor<1x1x4xf16>, tensor<1x4x1xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x1xf32>
  return %0 : tensor<1x1x1xf32>
}
func.func @twice(%a: tensor<1x1x4xf16>, %b: tensor<1x4x1xf16>) -> tensor<1x1x1xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %0 = tosa.matmul %a, %b, %z, %z {lpu.k_parts = array<i64: 1, 2, 3>, lpu.k_order = [0 : i64, 0 : i64, 1 : i64, 2 : i64]} : (tensor<1x1x4xf16>, tensor<1x4x1xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x1xf32>
  return %0 : tensor<1x1x1xf32>
}

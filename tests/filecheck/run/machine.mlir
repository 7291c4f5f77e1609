// The numerics parameters of the machine: the MXM's K-block decides how a
// float matmul rounds (docs/numerics.md's worked example: products 2**30, 64,
// 1, -2**30, exact sum 65).

// RUN: lpu-run %s --input 1x1x4xf16=32768,64,1,-32768 --input 1x4x1xf16=32768,1,1,32768 | filecheck %s --check-prefix=FUSED
// RUN: lpu-run %s --system '#lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {mxm_k_f16 = 2 : i64}>}>' --input 1x1x4xf16=32768,64,1,-32768 --input 1x4x1xf16=32768,1,1,32768 | filecheck %s --check-prefix=BLOCKS
// RUN: not lpu-run %s --system 'tsp-v2' --input 1x1x4xf16=0 --input 1x4x1xf16=0 2>&1 | filecheck %s --check-prefix=UNKNOWN

// one fused block of 4 (tsp-v1: 160)
// FUSED: result0: tensor<1x1x1xf32> = {{\[\[\[}}65.0]]]
// blocks of 2: 2**30 + 64 -> 2**30 and 1 - 2**30 -> -2**30 in f32, which cancel
// BLOCKS: result0: tensor<1x1x1xf32> = {{\[\[\[}}0.0]]]
// UNKNOWN: lpu-run: error: system 'tsp-v2': {{.*}}unknown system preset 'tsp-v2'
func.func @main(%a: tensor<1x1x4xf16>, %b: tensor<1x4x1xf16>) -> tensor<1x1x1xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %0 = tosa.matmul %a, %b, %z, %z : (tensor<1x1x4xf16>, tensor<1x4x1xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x1xf32>
  return %0 : tensor<1x1x1xf32>
}

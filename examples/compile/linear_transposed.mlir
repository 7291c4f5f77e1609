// A linear layer as PyTorch exports it: y = x @ W^T + b, with W stored [out, in]
// and transposed by the frontend (lpu-decompose folds the transpose of a constant).
func.func @linear(%x: tensor<1x4x3xf16>) -> tensor<1x4x2xf32> {
  %w = "tosa.const"() <{values = dense<[[[0.5, -1.0, 0.25], [2.0, 0.125, -0.5]]]> : tensor<1x2x3xf16>}> : () -> tensor<1x2x3xf16>
  %wt = tosa.transpose %w {perms = array<i32: 0, 2, 1>} : (tensor<1x2x3xf16>) -> tensor<1x3x2xf16>
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %y = tosa.matmul %x, %wt, %z, %z : (tensor<1x4x3xf16>, tensor<1x3x2xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x2xf32>
  %b = "tosa.const"() <{values = dense<[[[0.25, -0.75]]]> : tensor<1x1x2xf32>}> : () -> tensor<1x1x2xf32>
  %o = tosa.add %y, %b : (tensor<1x4x2xf32>, tensor<1x1x2xf32>) -> tensor<1x4x2xf32>
  return %o : tensor<1x4x2xf32>
}

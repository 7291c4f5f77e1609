// RMSNorm over the last axis: x * rsqrt(mean(x^2) + eps) * weight.
func.func @rmsnorm(%x: tensor<2x4096xf32>, %w: tensor<1x4096xf32>) -> tensor<2x4096xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %sq = tosa.mul %x, %x, %shift : (tensor<2x4096xf32>, tensor<2x4096xf32>, tensor<1xi8>) -> tensor<2x4096xf32>
  %s = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<2x4096xf32>) -> tensor<2x1xf32>
  %inv_n = "tosa.const"() <{values = dense<2.44140625e-04> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %mean = tosa.mul %s, %inv_n, %shift : (tensor<2x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<2x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-05> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %v = tosa.add %mean, %eps : (tensor<2x1xf32>, tensor<1x1xf32>) -> tensor<2x1xf32>
  %r = tosa.rsqrt %v : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %n = tosa.mul %x, %r, %shift : (tensor<2x4096xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x4096xf32>
  %y = tosa.mul %n, %w, %shift : (tensor<2x4096xf32>, tensor<1x4096xf32>, tensor<1xi8>) -> tensor<2x4096xf32>
  return %y : tensor<2x4096xf32>
}

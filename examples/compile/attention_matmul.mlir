// One attention head in the form frontends emit: softmax(Q K^T / sqrt(D)) V with
// f16 operands and f32 accumulation, for 8 queries over 16 keys of width 64.
func.func @attention(%q: tensor<1x8x64xf16>, %k: tensor<1x16x64xf16>, %v: tensor<1x16x64xf16>) -> tensor<1x8x64xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %kt = tosa.transpose %k {perms = array<i32: 0, 2, 1>} : (tensor<1x16x64xf16>) -> tensor<1x64x16xf16>
  %s = tosa.matmul %q, %kt, %z, %z : (tensor<1x8x64xf16>, tensor<1x64x16xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x8x16xf32>
  %scale = "tosa.const"() <{values = dense<0.125> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %ss = tosa.mul %s, %scale, %shift : (tensor<1x8x16xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<1x8x16xf32>
  %m = tosa.reduce_max %ss {axis = 2 : i32} : (tensor<1x8x16xf32>) -> tensor<1x8x1xf32>
  %d = tosa.sub %ss, %m : (tensor<1x8x16xf32>, tensor<1x8x1xf32>) -> tensor<1x8x16xf32>
  %e = tosa.exp %d : (tensor<1x8x16xf32>) -> tensor<1x8x16xf32>
  %sum = tosa.reduce_sum %e {axis = 2 : i32} : (tensor<1x8x16xf32>) -> tensor<1x8x1xf32>
  %r = tosa.reciprocal %sum : (tensor<1x8x1xf32>) -> tensor<1x8x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<1x8x16xf32>, tensor<1x8x1xf32>, tensor<1xi8>) -> tensor<1x8x16xf32>
  %ph = tosa.cast %p : (tensor<1x8x16xf32>) -> tensor<1x8x16xf16>
  %o = tosa.matmul %ph, %v, %z, %z : (tensor<1x8x16xf16>, tensor<1x16x64xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x8x64xf32>
  return %o : tensor<1x8x64xf32>
}

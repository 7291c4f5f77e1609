// One attention head for one decode step (query q against T cached keys and
// values), written with elementwise products and reductions as a decoder
// builder emits it for batch 1: scores = sum(q * K, last axis) / sqrt(D),
// p = softmax over T, out = sum(p * V, axis 0).
func.func @attention(%q: tensor<1x64xf32>, %k: tensor<16x64xf32>, %v: tensor<16x64xf32>) -> tensor<1x64xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %qk = tosa.mul %k, %q, %shift : (tensor<16x64xf32>, tensor<1x64xf32>, tensor<1xi8>) -> tensor<16x64xf32>
  %s = tosa.reduce_sum %qk {axis = 1 : i32} : (tensor<16x64xf32>) -> tensor<16x1xf32>
  %scale = "tosa.const"() <{values = dense<0.125> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %ss = tosa.mul %s, %scale, %shift : (tensor<16x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<16x1xf32>
  %m = tosa.reduce_max %ss {axis = 0 : i32} : (tensor<16x1xf32>) -> tensor<1x1xf32>
  %d = tosa.sub %ss, %m : (tensor<16x1xf32>, tensor<1x1xf32>) -> tensor<16x1xf32>
  %e = tosa.exp %d : (tensor<16x1xf32>) -> tensor<16x1xf32>
  %z = tosa.reduce_sum %e {axis = 0 : i32} : (tensor<16x1xf32>) -> tensor<1x1xf32>
  %r = tosa.reciprocal %z : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %p = tosa.mul %e, %r, %shift : (tensor<16x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<16x1xf32>
  %pv = tosa.mul %v, %p, %shift : (tensor<16x64xf32>, tensor<16x1xf32>, tensor<1xi8>) -> tensor<16x64xf32>
  %o = tosa.reduce_sum %pv {axis = 0 : i32} : (tensor<16x64xf32>) -> tensor<1x64xf32>
  return %o : tensor<1x64xf32>
}

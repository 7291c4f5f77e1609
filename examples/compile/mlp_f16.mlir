// A two-layer MLP in f16 with f32 accumulation: matmul, relu (clamp), cast, matmul.
// lpu-opt mlp_f16.mlir -p lpu-compile | lpu-run - --input @x.npy --input @w1.npy --input @w2.npy
func.func @mlp(%x: tensor<1x4x300xf16>, %w1: tensor<1x300x500xf16>, %w2: tensor<1x500x200xf16>) -> tensor<1x4x200xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %h = tosa.matmul %x, %w1, %z, %z : (tensor<1x4x300xf16>, tensor<1x300x500xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x500xf32>
  %r = tosa.clamp %h {min_val = 0.0 : f32, max_val = 3.0e38 : f32} : (tensor<1x4x500xf32>) -> tensor<1x4x500xf32>
  %c = tosa.cast %r : (tensor<1x4x500xf32>) -> tensor<1x4x500xf16>
  %y = tosa.matmul %c, %w2, %z, %z : (tensor<1x4x500xf16>, tensor<1x500x200xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x4x200xf32>
  return %y : tensor<1x4x200xf32>
}

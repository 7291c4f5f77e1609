// A two-layer perceptron with a softmax, as upstream MLIR prints TOSA, linalg,
// tensor and arith: x (4x16) -> relu(x W1 + b1) (4x32) -> softmax(h W2 + b2) (4x8).
// Run it with `lpu-run examples/tensor/mlp.mlir --function mlp --input @x.npy ...`;
// tests/test_reference.py generates the inputs.
func.func @mlp(%x: tensor<4x16xf32>, %w1: tensor<16x32xf32>, %b1: tensor<1x32xf32>, %w2: tensor<32x8xf32>, %b2: tensor<1x8xf32>) -> tensor<4x8xf32> {
  // layer 1 on tosa: a batch-1 matmul, a broadcast bias add, relu as a clamp
  %s_x = tosa.const_shape {values = dense<[1, 4, 16]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s_w1 = tosa.const_shape {values = dense<[1, 16, 32]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %s_h = tosa.const_shape {values = dense<[4, 32]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %x3 = tosa.reshape %x, %s_x : (tensor<4x16xf32>, !tosa.shape<3>) -> tensor<1x4x16xf32>
  %w13 = tosa.reshape %w1, %s_w1 : (tensor<16x32xf32>, !tosa.shape<3>) -> tensor<1x16x32xf32>
  %zp = "tosa.const"() <{values = dense<0.000000e+00> : tensor<1xf32>}> : () -> tensor<1xf32>
  %mm1 = tosa.matmul %x3, %w13, %zp, %zp : (tensor<1x4x16xf32>, tensor<1x16x32xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<1x4x32xf32>
  %h0 = tosa.reshape %mm1, %s_h : (tensor<1x4x32xf32>, !tosa.shape<2>) -> tensor<4x32xf32>
  %h1 = tosa.add %h0, %b1 : (tensor<4x32xf32>, tensor<1x32xf32>) -> tensor<4x32xf32>
  %h = tosa.clamp %h1 {max_val = 3.40282347e+38 : f32, min_val = 0.000000e+00 : f32} : (tensor<4x32xf32>) -> tensor<4x32xf32>

  // layer 2 on linalg: fill, matmul, broadcast bias, add
  %zero = arith.constant 0.000000e+00 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %mm2 = linalg.matmul ins(%h, %w2 : tensor<4x32xf32>, tensor<32x8xf32>) outs(%acc : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b2v = tensor.collapse_shape %b2 [[0, 1]] : tensor<1x8xf32> into tensor<8xf32>
  %bias = linalg.broadcast ins(%b2v : tensor<8xf32>) outs(%e : tensor<4x8xf32>) dimensions = [0]
  %logits = linalg.add ins(%mm2, %bias : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>

  // softmax over the last axis, stabilised by the row maximum
  %max = tosa.reduce_max %logits {axis = 1 : i32} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %shifted = tosa.sub %logits, %max : (tensor<4x8xf32>, tensor<4x1xf32>) -> tensor<4x8xf32>
  %exp = tosa.exp %shifted : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %sum = tosa.reduce_sum %exp {axis = 1 : i32} : (tensor<4x8xf32>) -> tensor<4x1xf32>
  %inv = tosa.reciprocal %sum : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %probabilities = tosa.mul %exp, %inv, %shift : (tensor<4x8xf32>, tensor<4x1xf32>, tensor<1xi8>) -> tensor<4x8xf32>
  return %probabilities : tensor<4x8xf32>
}

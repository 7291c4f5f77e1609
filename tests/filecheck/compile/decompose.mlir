// RUN: lpu-opt %s -p lpu-decompose | filecheck %s

func.func @clamp(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %0 = tosa.clamp %x {min_val = -1.0 : f32, max_val = 2.0 : f32} : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
// CHECK-LABEL: func.func @clamp
// CHECK-DAG:   %[[LO:.*]] = "tosa.const"() <{values = dense<-1.000000e+00> : tensor<1x1xf32>}>
// CHECK-DAG:   %[[HI:.*]] = "tosa.const"() <{values = dense<2.000000e+00> : tensor<1x1xf32>}>
// CHECK:       %[[MAX:.*]] = tosa.maximum %x, %[[LO]]
// CHECK:       %[[MIN:.*]] = tosa.minimum %[[MAX]], %[[HI]]
// CHECK:       func.return %[[MIN]]

// -----
func.func @folded_transpose() -> tensor<3x2xf16> {
  %w = "tosa.const"() <{values = dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf16>}> : () -> tensor<2x3xf16>
  %t = tosa.transpose %w {perms = array<i32: 1, 0>} : (tensor<2x3xf16>) -> tensor<3x2xf16>
  return %t : tensor<3x2xf16>
}
// CHECK-LABEL: func.func @folded_transpose
// CHECK-NEXT:  %{{.*}} = "tosa.const"() <{values = dense<{{\[}}[1.000000e+00, 4.000000e+00], [2.000000e+00, 5.000000e+00], [3.000000e+00, 6.000000e+00]]> : tensor<3x2xf16>}>
// CHECK-NOT:   tosa.transpose

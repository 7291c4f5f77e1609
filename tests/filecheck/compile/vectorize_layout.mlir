// lpu-vectorize's layouts (lpuir/transforms/vectorize/layout.py): the
// left-hand side of an f16 matmul wants one K-block (160 elements) per
// vector, a wish that flows back through elementwise producers (the cast,
// and the exp's argument); a value stored with 320 (the first matmul's
// result) is split into its low half (masked) and its high half (shifted
// south by 160); a reshape that keeps the last axis shares the tensor (the
// returned [1, 4] is then copied out of the [1, 1, 4] one).
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<1x1x160xf16>, %w: tensor<1x160x320xf16>, %v: tensor<1x320x4xf16>) -> tensor<1x4xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %e = tosa.exp %a : (tensor<1x1x160xf16>) -> tensor<1x1x160xf16>
  %0 = tosa.matmul %e, %w, %z, %z : (tensor<1x1x160xf16>, tensor<1x160x320xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x320xf32>
  %1 = tosa.cast %0 : (tensor<1x1x320xf32>) -> tensor<1x1x320xf16>
  %2 = tosa.matmul %1, %v, %z, %z : (tensor<1x1x320xf16>, tensor<1x320x4xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x4xf32>
  %s = tosa.const_shape {values = dense<[1, 4]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %3 = tosa.reshape %2, %s : (tensor<1x1x4xf32>, !tosa.shape<2>) -> tensor<1x4xf32>
  return %3 : tensor<1x4xf32>
}

// CHECK:      tensor @in0 : 1x1x160xf16 input 0 lanes 160
// CHECK:      tensor @v{{[0-9]+}} : 1x1x160xf16 scratch lanes 160
// CHECK:      tensor @[[WIDE:v[0-9]+]] : 1x1x320xf32 scratch
// (the right-hand sides are inputs stored as row chunks, docs/compiler.md)
// CHECK:      tensor @{{in[0-9]+}} : 1x10x320xf16 input 1 rows 15 10 160 0 160
// CHECK-NEXT: tensor @[[CAST:v[0-9]+]] : 1x1x320xf16 scratch lanes 160
// CHECK-NEXT: tensor @[[SPLIT:tmp[0-9]+]] : 1x1x320xf32 scratch lanes 160
// CHECK:      tensor @[[PRODUCT:v[0-9]+]] : 1x1x4xf32 scratch
// CHECK:      tensor @[[OUT:out[0-9]+]] : 1x4xf32 output 0
// CHECK:      mem.write {{.*}} -> @[[WIDE]][0]
// CHECK-NEXT: [[LOW:%[0-9]+]] = mem.read @[[WIDE]][0] : f32
// CHECK-NEXT: [[MASK:%[0-9]+]] = mem.read @c{{[0-9]+}}[0] : i32
// CHECK-NEXT: [[ZERO:%[0-9]+]] = mem.read @c{{[0-9]+}}[0] : f32
// CHECK-NEXT: [[MASKED:%[0-9]+]] = vxm.select [[MASK]], [[LOW]], [[ZERO]] : f32
// CHECK-NEXT: mem.write [[MASKED]] -> @[[SPLIT]][0 step 2]
// CHECK-NEXT: [[HIGH:%[0-9]+]] = mem.read @[[WIDE]][0] : f32
// CHECK-NEXT: [[SHIFTED:%[0-9]+]] = sxm.shift south 160 [[HIGH]] : f32
// CHECK-NEXT: mem.write [[SHIFTED]] -> @[[SPLIT]][1 step 2]
// CHECK-NEXT: [[BOTH:%[0-9]+]] = mem.read @[[SPLIT]][0] : f32[2]
// CHECK-NEXT: [[F16:%[0-9]+]] = vxm.convert [[BOTH]] : f16[2]
// CHECK-NEXT: mem.write [[F16]] -> @[[CAST]][0]
// CHECK:      mem.write {{.*}} -> @[[PRODUCT]][0]
// CHECK-NEXT: [[ROW:%[0-9]+]] = mem.read @[[PRODUCT]][0] : f32
// CHECK-NEXT: [[SAME:%[0-9]+]] = vxm.copy [[ROW]] : f32
// CHECK-NEXT: mem.write [[SAME]] -> @[[OUT]][0]
// CHECK-NEXT: }

// lpu-vectorize's reductions (lpuir/transforms/vectorize/reductions.py). Along
// the last axis: a row's vectors combine in order (padding lanes of the last
// one replaced by the identity, -0 for a sum; the partial sums alternate
// between two scratch tensors, so no group reads and writes one bank), then the lanes by the
// numerics spec's tree (wrapping rotations by 160, 80, ... through both SXMs,
// then left to right), which leaves the result in every fifth lane; a permute
// puts one at lane 0 of each superlane and a distribute fills the superlanes:
// a splat. Along another axis, one elementwise step per index in index order.
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<3x330xf32>) -> (tensor<3x1xf32>, tensor<1x330xf32>) {
  %0 = tosa.reduce_sum %a {axis = 1 : i32} : (tensor<3x330xf32>) -> tensor<3x1xf32>
  %1 = tosa.reduce_max %a {axis = 0 : i32} : (tensor<3x330xf32>) -> tensor<1x330xf32>
  return %0, %1 : tensor<3x1xf32>, tensor<1x330xf32>
}

// CHECK:      tensor @c1 : 1x320xf32 weight = dense<-0.000000e+00>
// CHECK-NEXT: tensor @tmp2 : 3x320xf32 scratch
// CHECK-NEXT: tensor @tmp3 : 3x320xf32 scratch
// CHECK:      %0 = mem.read @in0[0 step 2] : f32[3]
// CHECK-NEXT: %1 = vxm.copy %0 : f32[3]
// CHECK-NEXT: mem.write %1 -> @tmp2[0]
// CHECK-NEXT: %2 = mem.read @in0[1 step 2] : f32[3]
// CHECK-NEXT: %3 = mem.read @c4[0 step 0] : i32[3]
// CHECK-NEXT: %4 = mem.read @c1[0 step 0] : f32[3]
// CHECK-NEXT: %5 = vxm.select %3, %2, %4 : f32[3]
// CHECK-NEXT: %6 = mem.read @tmp2[0] : f32[3]
// CHECK-NEXT: %7 = vxm.add %6, %5 : f32[3]
// CHECK-NEXT: mem.write %7 -> @tmp3[0]
// CHECK-NEXT: %8 = mem.read @tmp3[0] : f32[3]
// CHECK:      %11 = sxm.rotate 0 %9 : f32[3]
// CHECK-NEXT: %12 = sxm.rotate 160 %10 : f32[3]
// CHECK-NEXT: %13 = vxm.add %11, %12 : f32[3]
// CHECK:      %16 = sxm.rotate 240 %14 : f32[3]
// CHECK:      %36 = sxm.rotate 319 %34 : f32[3]
// CHECK-NEXT: %37 = vxm.add %35, %36 : f32[3]
// CHECK-NEXT: %38 = vxm.copy %36 : f32[3]
// CHECK:      %49 = vxm.add %47, %48 : f32[3]
// CHECK-NEXT: %50 = sxm.permute [0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 5, 19,
// CHECK-NEXT: %51 = sxm.distribute [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] %50 : f32[3]
// CHECK-NEXT: mem.write %51 -> @v5[0]
// the leading-axis maximum: a copy of row 0, then one max per further row
// CHECK:      = mem.read @in0[0] : f32[2]
// CHECK-NEXT: = vxm.copy
// CHECK-NEXT: mem.write {{.*}} -> @v6[0]
// CHECK-NEXT: = mem.read @v6[0] : f32[2]
// CHECK-NEXT: = mem.read @in0[2] : f32[2]
// CHECK-NEXT: = vxm.max
// CHECK-NEXT: mem.write {{.*}} -> @v6[0]
// CHECK-NEXT: = mem.read @v6[0] : f32[2]
// CHECK-NEXT: = mem.read @in0[4] : f32[2]
// CHECK-NEXT: = vxm.max

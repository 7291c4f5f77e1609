// lpu-vectorize's reductions (lpuir/transforms/vectorize/reductions.py). Along
// the last axis: a row's vectors combine in order on chained ALUs, bursts of
// two rows (padding lanes of the last one replaced by the identity, -0 for a
// sum; copies keep the row's reads a step apart), then the lanes by the
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
// CHECK:      %0 = mem.read @in0[0 step 2] : f32[2]
// CHECK-NEXT: %1 = vxm.copy %0 : f32[2]
// CHECK-NEXT: %2 = vxm.copy %1 : f32[2]
// CHECK-NEXT: %3 = mem.read @in0[1 step 2] : f32[2]
// CHECK-NEXT: %4 = mem.read @c3[0 step 0] : i32[2]
// CHECK-NEXT: %5 = mem.read @c1[0 step 0] : f32[2]
// CHECK-NEXT: %6 = vxm.select %4, %3, %5 : f32[2]
// CHECK-NEXT: %7 = vxm.add %2, %6 : f32[2]
// CHECK-NEXT: mem.write %7 -> @tmp2[0]
// CHECK-NEXT: %8 = mem.read @in0[4] : f32
// CHECK:      %15 = vxm.add %10, %14 : f32
// CHECK-NEXT: mem.write %15 -> @tmp2[2]
// CHECK-NEXT: %16 = mem.read @tmp2[0] : f32[3]
// CHECK:      %19 = sxm.rotate 0 %17 : f32[3]
// CHECK-NEXT: %20 = sxm.rotate 160 %18 : f32[3]
// CHECK-NEXT: %21 = vxm.add %19, %20 : f32[3]
// CHECK:      %24 = sxm.rotate 240 %22 : f32[3]
// CHECK:      %44 = sxm.rotate 319 %42 : f32[3]
// CHECK-NEXT: %45 = vxm.add %43, %44 : f32[3]
// CHECK-NEXT: %46 = vxm.copy %44 : f32[3]
// CHECK:      %57 = vxm.add %55, %56 : f32[3]
// CHECK-NEXT: %58 = sxm.permute [0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 5, 19,
// CHECK-NEXT: %59 = sxm.distribute [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] %58 : f32[3]
// CHECK-NEXT: mem.write %59 -> @v4[0]
// the leading-axis maximum: a copy of row 0, then one max per further row
// CHECK:      = mem.read @in0[0] : f32[2]
// CHECK-NEXT: = vxm.copy
// CHECK-NEXT: mem.write {{.*}} -> @v5[0]
// CHECK-NEXT: = mem.read @v5[0] : f32[2]
// CHECK-NEXT: = mem.read @in0[2] : f32[2]
// CHECK-NEXT: = vxm.max
// CHECK-NEXT: mem.write {{.*}} -> @v5[0]
// CHECK-NEXT: = mem.read @v5[0] : f32[2]
// CHECK-NEXT: = mem.read @in0[4] : f32[2]
// CHECK-NEXT: = vxm.max

// lpu-vectorize's reductions (lpuir/transforms/vectorize/reductions.py). Along
// the last axis: a row's vectors combine in order on chained ALUs, bursts of
// two rows (padding lanes of the last one replaced by the identity, -0 for a
// sum; copies keep the row's reads a step apart), then the lanes by the
// numerics spec's tree (wrapping rotations through both SXMs, two halvings a
// round trip: (v[l] + v[l+160]) + (v[l+80] + v[l+240]), the second pair a
// VXM step later from copies, the first pair's sum waiting a copy; then the
// five lanes left to right in one round trip), in bursts of two rows, which
// leaves the result in every fifth lane; a permute puts one at lane 0 of
// each superlane and a distribute fills the superlanes: a splat. Along
// another axis, one elementwise step per index in index order.
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
// CHECK-NEXT: %16 = mem.read @tmp2[0] : f32[2]
// CHECK-NEXT: %17 = vxm.copy %16 : f32[2]
// CHECK-NEXT: %18 = vxm.copy %16 : f32[2]
// CHECK-NEXT: %19 = sxm.rotate 0 %17 : f32[2]
// CHECK-NEXT: %20 = sxm.rotate 160 %18 : f32[2]
// CHECK-NEXT: %21 = vxm.add %19, %20 : f32[2]
// CHECK-NEXT: %22 = vxm.copy %17 : f32[2]
// CHECK-NEXT: %23 = sxm.rotate 240 %22 : f32[2]
// CHECK-NEXT: %24 = vxm.copy %18 : f32[2]
// CHECK-NEXT: %25 = sxm.rotate 80 %24 : f32[2]
// CHECK-NEXT: %26 = vxm.add %23, %25 : f32[2]
// CHECK-NEXT: %27 = vxm.copy %21 : f32[2]
// CHECK-NEXT: %28 = vxm.add %27, %26 : f32[2]
// CHECK-NEXT: %29 = vxm.add %27, %26 : f32[2]
// CHECK-NEXT: %30 = sxm.rotate 0 %28 : f32[2]
// CHECK-NEXT: %31 = sxm.rotate 280 %29 : f32[2]
// the last pass: ((((l0 + l1) + l2) + l3) + l4), l3 and l4 a copy late
// CHECK:      %52 = sxm.rotate 0 %50 : f32[2]
// CHECK-NEXT: %53 = sxm.rotate 319 %51 : f32[2]
// CHECK-NEXT: %54 = vxm.add %52, %53 : f32[2]
// CHECK-NEXT: %55 = vxm.copy %50 : f32[2]
// CHECK-NEXT: %56 = sxm.rotate 318 %55 : f32[2]
// CHECK-NEXT: %57 = vxm.add %54, %56 : f32[2]
// CHECK-NEXT: %58 = vxm.copy %51 : f32[2]
// CHECK-NEXT: %59 = sxm.rotate 317 %58 : f32[2]
// CHECK-NEXT: %60 = vxm.copy %59 : f32[2]
// CHECK-NEXT: %61 = vxm.add %57, %60 : f32[2]
// CHECK-NEXT: %62 = vxm.copy %55 : f32[2]
// CHECK-NEXT: %63 = sxm.rotate 316 %62 : f32[2]
// CHECK-NEXT: %64 = vxm.copy %63 : f32[2]
// CHECK-NEXT: %65 = vxm.add %61, %64 : f32[2]
// CHECK-NEXT: %66 = sxm.permute [0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 5, 19,
// CHECK-NEXT: %67 = sxm.distribute [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] %66 : f32[2]
// CHECK-NEXT: mem.write %67 -> @v4[0]
// CHECK-NEXT: %68 = mem.read @tmp2[2] : f32
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

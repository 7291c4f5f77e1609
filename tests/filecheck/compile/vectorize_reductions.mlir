// lpu-vectorize's reductions (lpuir/transforms/vectorize/reductions.py). Along
// the last axis: a row's vectors combine in order on chained ALUs, bursts of
// two rows (padding lanes of the last one replaced by the identity, -0 for a
// sum; copies keep the row's reads a step apart), then the lanes by the
// numerics spec's tree (wrapping rotations through both SXMs, several stages
// a round trip for a few rows: four halvings, ((v[l] + v[l+160]) + (v[l+80] +
// v[l+240])) + ..., the k-th pair of rotations k VXM steps after the first,
// from copies, earlier sums waiting in copies; then the last two halvings and
// the five lanes left to right), in bursts of two rows, which leaves the
// result in every fifth lane; a permute puts one at lane 0 of
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
// CHECK-NEXT: %29 = vxm.copy %22 : f32[2]
// CHECK-NEXT: %30 = sxm.rotate 280 %29 : f32[2]
// the last of the 16: v[l + 300] (rotate 20), four VXM steps after the first
// CHECK:      %64 = sxm.rotate 20 %63 : f32[2]
// CHECK:      %71 = vxm.copy %43 : f32[2]
// CHECK-NEXT: %72 = vxm.copy %71 : f32[2]
// CHECK-NEXT: %73 = vxm.copy %72 : f32[2]
// CHECK-NEXT: %74 = vxm.copy %73 : f32[2]
// CHECK-NEXT: %75 = vxm.add %74, %70 : f32[2]
// CHECK-NEXT: %76 = vxm.add %74, %70 : f32[2]
// the second pass: halvings by 10 and 5 of lanes 0, 1, 2, 3, 4 added left to right
// CHECK-NEXT: %77 = sxm.rotate 0 %75 : f32[2]
// CHECK-NEXT: %78 = sxm.rotate 310 %76 : f32[2]
// CHECK-NEXT: %79 = vxm.add %77, %78 : f32[2]
// CHECK-NEXT: %80 = vxm.copy %75 : f32[2]
// CHECK-NEXT: %81 = sxm.rotate 315 %80 : f32[2]
// CHECK-NEXT: %82 = vxm.copy %76 : f32[2]
// CHECK-NEXT: %83 = sxm.rotate 305 %82 : f32[2]
// CHECK-NEXT: %84 = vxm.add %81, %83 : f32[2]
// CHECK-NEXT: %85 = vxm.copy %79 : f32[2]
// CHECK-NEXT: %86 = vxm.add %85, %84 : f32[2]
// CHECK-NEXT: %87 = vxm.copy %80 : f32[2]
// CHECK-NEXT: %88 = sxm.rotate 319 %87 : f32[2]
// CHECK:      %138 = sxm.rotate 301 %137 : f32[2]
// CHECK-NEXT: %139 = vxm.add %136, %138 : f32[2]
// CHECK-NEXT: %140 = vxm.copy %134 : f32[2]
// CHECK-NEXT: %141 = vxm.add %140, %139 : f32[2]
// CHECK-NEXT: %142 = vxm.copy %129 : f32[2]
// CHECK-NEXT: %143 = vxm.add %142, %141 : f32[2]
// CHECK-NEXT: %144 = sxm.permute [0, 1, 2, 3, 4, 6, 7, 8, 9, 11, 12, 13, 14, 16, 17, 18, 5, 19,
// CHECK-NEXT: %145 = sxm.distribute [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] %144 : f32[2]
// CHECK-NEXT: mem.write %145 -> @v4[0]
// CHECK-NEXT: %146 = mem.read @tmp2[2] : f32
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

// lpu-vectorize's transpose of the last two axes
// (lpuir/transforms/vectorize/transpose.py): rows padded to a multiple of 16,
// sxm.transpose per 16x16 block, one rotation burst per superlane distance
// (20, by 16 lanes each), and a gather picking each output lane's rotation.
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<20x3xf32>) -> tensor<3x20xf32> {
  %0 = tosa.transpose %a {perms = array<i32: 1, 0>} : (tensor<20x3xf32>) -> tensor<3x20xf32>
  return %0 : tensor<3x20xf32>
}

// CHECK:      tensor @v1 : 3x20xf32 output 0
// CHECK-NEXT: tensor @c2 : 3x320xi32 weight
// CHECK-NEXT: tensor @tmp3 : 32x320xf32 scratch
// CHECK-NEXT: tensor @tmp4 : 32x320xf32 scratch
// CHECK-NEXT: tensor @tmp5 : 640x320xf32 scratch
// CHECK-NEXT: %0 = mem.read @in0[0] : f32[20]
// CHECK-NEXT: %1 = vxm.copy %0 : f32[20]
// CHECK-NEXT: mem.write %1 -> @tmp3[0]
// CHECK-NEXT: %2 = mem.read @in0[19 step 0] : f32[12]
// CHECK:      %4 = mem.read @tmp3[0] : f32[32]
// CHECK-NEXT: %5 = sxm.transpose %4 : f32[32]
// CHECK-NEXT: mem.write %5 -> @tmp4[0]
// CHECK-NEXT: %6 = mem.read @tmp4[0] : f32[32]
// CHECK-NEXT: %7 = sxm.rotate 0 %6 : f32[32]
// CHECK-NEXT: mem.write %7 -> @tmp5[0]
// CHECK:      %45 = sxm.rotate 304 %44 : f32[32]
// CHECK-NEXT: mem.write %45 -> @tmp5[608]
// CHECK-NEXT: %46 = mem.read @c2[0] : i32[3]
// CHECK-NEXT: %47 = mem.gather @tmp5[%46] : f32[3]
// CHECK-NEXT: mem.write %47 -> @v1[0]

// Step-by-step accumulations (reductions.accumulators): a step that reads
// the accumulator and writes it back in one group of bursts no longer than
// in_place_burst (6 vectors on tsp-v1: read and VXM delays, two hops to the
// nearest slice) stays in place; a longer one would still be reading the
// accumulator's bank when its write began, so two accumulators alternate.
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<3x1x1920xf32>, %b: tensor<3x1x2240xf32>) -> (tensor<1x1x1920xf32>, tensor<1x1x2240xf32>) {
  %0 = tosa.reduce_sum %a {axis = 0 : i32} : (tensor<3x1x1920xf32>) -> tensor<1x1x1920xf32>
  %1 = tosa.reduce_sum %b {axis = 0 : i32} : (tensor<3x1x2240xf32>) -> tensor<1x1x2240xf32>
  return %0, %1 : tensor<1x1x1920xf32>, tensor<1x1x2240xf32>
}

// CHECK:      tensor @v2 : 1x1x1920xf32 output 0
// CHECK-NEXT: tensor @v3 : 1x1x2240xf32 output 1
// CHECK-NEXT: tensor @tmp4 : 1x1x2240xf32 scratch
// 6 vectors: in place
// CHECK:      %0 = mem.read @in0[0] : f32[6]
// CHECK-NEXT: %1 = vxm.copy %0 : f32[6]
// CHECK-NEXT: mem.write %1 -> @v2[0]
// CHECK-NEXT: %2 = mem.read @v2[0] : f32[6]
// CHECK-NEXT: %3 = mem.read @in0[6] : f32[6]
// CHECK-NEXT: %4 = vxm.add %2, %3 : f32[6]
// CHECK-NEXT: mem.write %4 -> @v2[0]
// CHECK-NEXT: %5 = mem.read @v2[0] : f32[6]
// CHECK:      mem.write {{.*}} -> @v2[0]
// 7 vectors: two accumulators in turn
// CHECK:      = mem.read @in1[0] : f32[7]
// CHECK-NEXT: = vxm.copy
// CHECK-NEXT: mem.write {{.*}} -> @v3[0]
// CHECK-NEXT: = mem.read @v3[0] : f32[7]
// CHECK-NEXT: = mem.read @in1[7] : f32[7]
// CHECK-NEXT: = vxm.add
// CHECK-NEXT: mem.write {{.*}} -> @tmp4[0]
// CHECK-NEXT: = mem.read @tmp4[0] : f32[7]
// CHECK-NEXT: = mem.read @in1[14] : f32[7]
// CHECK-NEXT: = vxm.add
// CHECK-NEXT: mem.write {{.*}} -> @v3[0]

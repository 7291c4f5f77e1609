// lpu-vectorize's elementwise lowering (lpuir/transforms/vectorize/elementwise.py):
// runs of output vectors in which every operand's index moves by one step
// become one group of bursts; a [1, C] operand repeats its row (the second
// run reads @in1 from 0 again), a [R, 1] operand is made a splat first (lane
// 0 spread to every lane in one pass through an SXM: distributes within the
// superlanes, permutes across them, 1 -> 16 -> 256 -> 320 lanes) and read
// with step 0. The add's vectors stay on the VXM for the mul that reads them
// (no scratch tensor between them: lpuir/transforms/vectorize/chains.py).
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<2x700xf32>, %b: tensor<1x700xf32>, %r: tensor<2x1xf32>) -> tensor<2x700xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.add %a, %b : (tensor<2x700xf32>, tensor<1x700xf32>) -> tensor<2x700xf32>
  %1 = tosa.mul %0, %r, %shift : (tensor<2x700xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x700xf32>
  return %1 : tensor<2x700xf32>
}

// CHECK:      tensor @in0 : 2x700xf32 input 0
// CHECK-NEXT: tensor @in1 : 1x700xf32 input 1
// CHECK-NEXT: tensor @in2 : 2x1xf32 input 2
// CHECK-NEXT: tensor @tmp4 : 2x320xf32 scratch
// CHECK-NEXT: tensor @v5 : 2x700xf32 output 0
// CHECK-NEXT: %0 = mem.read @in0[0] : f32[3]
// CHECK-NEXT: %1 = mem.read @in1[0] : f32[3]
// CHECK-NEXT: %2 = vxm.add %0, %1 : f32[3]
// CHECK-NEXT: %3 = mem.read @in0[3] : f32[3]
// CHECK-NEXT: %4 = mem.read @in1[0] : f32[3]
// CHECK-NEXT: %5 = vxm.add %3, %4 : f32[3]
// CHECK-NEXT: %6 = mem.read @in2[0] : f32[2]
// CHECK-NEXT: %7 = sxm.distribute [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] %6 : f32[2]
// CHECK-NEXT: %8 = sxm.permute [0, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 1, 31,
// CHECK-NEXT: %9 = sxm.distribute [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] %8 : f32[2]
// CHECK-NEXT: %10 = sxm.permute [0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 17, 18, 19, 20, 16, 21,
// CHECK-NEXT: %11 = sxm.distribute [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] %10 : f32[2]
// CHECK-NEXT: mem.write %11 -> @tmp4[0]
// CHECK-NEXT: %12 = mem.read @tmp4[0 step 0] : f32[3]
// CHECK-NEXT: %13 = vxm.mul %2, %12 : f32[3]
// CHECK-NEXT: mem.write %13 -> @v5[0]
// CHECK-NEXT: %14 = mem.read @tmp4[1 step 0] : f32[3]
// CHECK-NEXT: %15 = vxm.mul %5, %14 : f32[3]
// CHECK-NEXT: mem.write %15 -> @v5[3]

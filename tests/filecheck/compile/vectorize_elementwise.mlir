// lpu-vectorize's elementwise lowering (lpuir/transforms/vectorize/elementwise.py):
// runs of output vectors in which every operand's index moves by one step
// become one group of bursts; a [1, C] operand repeats its row (the second
// run reads @in1 from 0 again), a [R, 1] operand is made a splat first (lane
// 0 broadcast by max-doubling over rotations) and read with step 0.
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
// CHECK-NEXT: tensor @v3 : 2x700xf32 scratch
// CHECK-NEXT: tensor @tmp4 : 2x320xf32 scratch
// CHECK:      tensor @v7 : 2x700xf32 output 0
// CHECK-NEXT: %0 = mem.read @in0[0] : f32[3]
// CHECK-NEXT: %1 = mem.read @in1[0] : f32[3]
// CHECK-NEXT: %2 = vxm.add %0, %1 : f32[3]
// CHECK-NEXT: mem.write %2 -> @v3[0]
// CHECK-NEXT: %3 = mem.read @in0[3] : f32[3]
// CHECK-NEXT: %4 = mem.read @in1[0] : f32[3]
// CHECK-NEXT: %5 = vxm.add %3, %4 : f32[3]
// CHECK-NEXT: mem.write %5 -> @v3[3]
// CHECK-NEXT: %6 = mem.read @in2[0] : f32[2]
// CHECK-NEXT: %7 = mem.read @c5[0 step 0] : i32[2]
// CHECK-NEXT: %8 = mem.read @c6[0 step 0] : f32[2]
// CHECK-NEXT: %9 = vxm.select %7, %6, %8 : f32[2]
// CHECK:      %46 = vxm.max %44, %45 : f32[2]
// CHECK-NEXT: mem.write %46 -> @tmp4[0]
// CHECK-NEXT: %47 = mem.read @v3[0] : f32[3]
// CHECK-NEXT: %48 = mem.read @tmp4[0 step 0] : f32[3]
// CHECK-NEXT: %49 = vxm.mul %47, %48 : f32[3]
// CHECK-NEXT: mem.write %49 -> @v7[0]

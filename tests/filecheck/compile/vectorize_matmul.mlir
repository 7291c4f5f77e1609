// lpu-vectorize's matmul (lpuir/transforms/vectorize/matmul.py): per output
// tile of 320 columns and K-block (320 rows for i8), a weight tile installed
// from the right-hand side's rows (a strided read: one row per vector) and
// the left-hand side's rows streamed through, the second K-block (80 rows)
// masked to its rows and accumulated onto the first (acc).
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<1x2x400xi8>, %b: tensor<1x400x330xi8>) -> tensor<1x2x330xi32> {
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.matmul %a, %b, %z, %z : (tensor<1x2x400xi8>, tensor<1x400x330xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x330xi32>
  return %0 : tensor<1x2x330xi32>
}

// CHECK:      %0 = mem.read @in1[0 step 2] : i8[320]
// CHECK-NEXT: %1 = mxm.install %0 : weights<i8>
// CHECK-NEXT: %2 = mem.read @in0[0 step 2] : i8[2]
// CHECK-NEXT: %3 = mxm.matmul %1, %2 : i32[2]
// CHECK-NEXT: %4 = mem.read @in1[640 step 2] : i8[80]
// CHECK-NEXT: %5 = mxm.install %4 : weights<i8>
// CHECK-NEXT: %6 = mem.read @in0[1 step 2] : i8[2]
// CHECK-NEXT: %7 = mem.read @c3[0 step 0] : i32[2]
// CHECK-NEXT: %8 = mem.read @c4[0 step 0] : i8[2]
// CHECK-NEXT: %9 = vxm.select %7, %6, %8 : i8[2]
// CHECK-NEXT: %10 = mxm.matmul %5, %9 acc %3 : i32[2]
// CHECK-NEXT: mem.write %10 -> @v2[0 step 2]
// CHECK-NEXT: %11 = mem.read @in1[1 step 2] : i8[320]
// CHECK:      mem.write %21 -> @v2[1 step 2]

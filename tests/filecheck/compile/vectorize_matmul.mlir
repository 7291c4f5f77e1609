// lpu-vectorize's matmul (lpuir/transforms/vectorize/matmul.py): a right-hand
// side that is only a matmul's right-hand side is stored as row chunks (an
// input's chunks say which of its rows they hold: `rows q r b lo hi`, rows k in lo..hi-1 with
// ((k - lo) mod b) div r = q; lpu-run fills them from the whole input), so a weight
// tile installs from 32 slices side by side, 10 rows each (i8). The K-block
// chains of two output tiles (the two planes of one hemisphere) are
// interleaved; the second K-block (80 rows, 8 chunks) is accumulated onto the
// first (acc), its left-hand side masked to its rows once (a scratch tensor)
// for both tiles.
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<1x2x400xi8>, %b: tensor<1x400x330xi8>) -> tensor<1x2x330xi32> {
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.matmul %a, %b, %z, %z : (tensor<1x2x400xi8>, tensor<1x400x330xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x330xi32>
  return %0 : tensor<1x2x330xi32>
}

// CHECK:      tensor @[[OUT:v[0-9]+]] : 1x2x330xi32 output 0
// CHECK-NEXT: tensor @[[FIRST:in[0-9]+]] : 1x20x330xi8 input 1 rows 0 10 320 0 400
// CHECK:      tensor @[[LAST:in[0-9]+]] : 1x10x330xi8 input 1 rows 31 10 320 0 400
// CHECK-NEXT: tensor @[[SHORT:tmp[0-9]+]] : 2x320xi8 scratch
// CHECK:      %0 = mem.read @in0[1 step 2] : i8[2]
// CHECK:      %3 = vxm.select %1, %0, %2 : i8[2]
// CHECK-NEXT: mem.write %3 -> @[[SHORT]][0]
// CHECK-NEXT: %4 = mem.read @[[FIRST]][0 step 2] : i8[10]
// CHECK:      %35 = mem.read @[[LAST]][0 step 2] : i8[10]
// CHECK-NEXT: %36 = mxm.install %4, %5, {{.*}}, %35 : weights<i8>
// CHECK-NEXT: %37 = mem.read @in0[0 step 2] : i8[2]
// CHECK-NEXT: %38 = mxm.matmul %36, %37 : i32[2]
// CHECK-NEXT: %39 = mem.read @[[FIRST]][1 step 2] : i8[10]
// CHECK:      %71 = mxm.install %39, {{.*}}, %70 : weights<i8>
// CHECK-NEXT: %72 = mem.read @in0[0 step 2] : i8[2]
// CHECK-NEXT: %73 = mxm.matmul %71, %72 : i32[2]
// CHECK-NEXT: %74 = mem.read @[[FIRST]][20 step 2] : i8[10]
// CHECK:      %81 = mem.read @{{in[0-9]+}}[20 step 2] : i8[10]
// CHECK-NEXT: %82 = mxm.install %74, {{.*}}, %81 : weights<i8>
// CHECK-NEXT: %83 = mem.read @[[SHORT]][0] : i8[2]
// CHECK-NEXT: %84 = mxm.matmul %82, %83 acc %38 : i32[2]
// CHECK:      %94 = mem.read @[[SHORT]][0] : i8[2]
// CHECK-NEXT: %95 = mxm.matmul {{.*}}, %94 acc %73 : i32[2]
// CHECK-NEXT: mem.write %84 -> @[[OUT]][0 step 2]
// CHECK-NEXT: mem.write %95 -> @[[OUT]][1 step 2]

// lpu-vectorize's matmul (lpuir/transforms/vectorize/matmul.py): a right-hand
// side that is only a matmul's right-hand side is stored as row chunks (an
// input's chunks say which of its rows they hold: `rows q r b lo hi`, rows k in lo..hi-1 with
// ((k - lo) mod b) div r = q; lpu-run fills them from the whole input), so a weight
// tile installs from 32 slices side by side, 10 rows each (i8). The K-block
// chains of two output tiles (the two planes of one hemisphere) are
// interleaved; the second K-block (80 rows, 8 chunks) is masked to its rows
// and accumulated onto the first (acc).
// RUN: lpu-opt %s -p lpu-vectorize -t lpu | filecheck %s

func.func @main(%a: tensor<1x2x400xi8>, %b: tensor<1x400x330xi8>) -> tensor<1x2x330xi32> {
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %0 = tosa.matmul %a, %b, %z, %z : (tensor<1x2x400xi8>, tensor<1x400x330xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x2x330xi32>
  return %0 : tensor<1x2x330xi32>
}

// CHECK:      tensor @[[OUT:v[0-9]+]] : 1x2x330xi32 output 0
// CHECK-NEXT: tensor @[[FIRST:in[0-9]+]] : 1x20x330xi8 input 1 rows 0 10 320 0 400
// CHECK:      tensor @[[LAST:in[0-9]+]] : 1x10x330xi8 input 1 rows 31 10 320 0 400
// CHECK:      %0 = mem.read @[[FIRST]][0 step 2] : i8[10]
// CHECK:      %31 = mem.read @[[LAST]][0 step 2] : i8[10]
// CHECK-NEXT: %32 = mxm.install %0, %1, {{.*}}, %31 : weights<i8>
// CHECK-NEXT: %33 = mem.read @in0[0 step 2] : i8[2]
// CHECK-NEXT: %34 = mxm.matmul %32, %33 : i32[2]
// CHECK-NEXT: %35 = mem.read @[[FIRST]][1 step 2] : i8[10]
// CHECK:      %67 = mxm.install %35, {{.*}}, %66 : weights<i8>
// CHECK-NEXT: %68 = mem.read @in0[0 step 2] : i8[2]
// CHECK-NEXT: %69 = mxm.matmul %67, %68 : i32[2]
// CHECK-NEXT: %70 = mem.read @[[FIRST]][20 step 2] : i8[10]
// CHECK:      %77 = mem.read @{{in[0-9]+}}[20 step 2] : i8[10]
// CHECK-NEXT: %78 = mxm.install %70, {{.*}}, %77 : weights<i8>
// CHECK-NEXT: %79 = mem.read @in0[1 step 2] : i8[2]
// CHECK:      %82 = vxm.select
// CHECK-NEXT: %83 = mxm.matmul %78, %82 acc %34 : i32[2]
// CHECK:      mxm.matmul {{.*}} acc %69 : i32[2]
// CHECK-NEXT: mem.write %{{.*}} -> @[[OUT]][0 step 2]
// CHECK-NEXT: mem.write %{{.*}} -> @[[OUT]][1 step 2]

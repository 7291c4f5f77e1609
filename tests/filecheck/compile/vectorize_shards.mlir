// lpu-vectorize on several chips (lpuir/transforms/vectorize/shards.py and
// matmul.py), as lpu-partition's annotations say: a matmul split by columns
// runs on each chip with its columns of the resident weight (stored as row
// chunks, 16 of 4 rows for f16, so a tile installs from 16 slices); the exp runs
// shard by shard; the reduction on chip 1 gathers the shards (chip 0's vector
// arrives by a send and receive, chip 1's own is copied straight off the
// exp's ALU: vectorize/chains.py).
// RUN: lpu-opt %s -p 'lpu-vectorize{system=node8}' -t lpu | filecheck %s

func.func @main(%a: tensor<1x1x64xf16>, %w: tensor<1x64x640xf16> {lpu.weight}) -> tensor<1x1x1xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %0 = tosa.matmul %a, %w, %z, %z {lpu.chips = array<i64: 0, 1>, lpu.split = "cols"} : (tensor<1x1x64xf16>, tensor<1x64x640xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x1x640xf32>
  %1 = tosa.exp %0 {lpu.chips = array<i64: 0, 1>} : (tensor<1x1x640xf32>) -> tensor<1x1x640xf32>
  %2 = tosa.reduce_sum %1 {axis = 2 : i32, lpu.chips = array<i64: 1>} : (tensor<1x1x640xf32>) -> tensor<1x1x1xf32>
  return %2 : tensor<1x1x1xf32>
}

// CHECK:      system "node8"
// CHECK:      chip 0 {
// CHECK-COUNT-16: tensor @c{{[0-9]+}} : 1x4x320xf16 weight
// CHECK:        = mxm.matmul
// CHECK:        [[E0:%[0-9]+]] = vxm.exp {{.*}} : f32
// CHECK:        [[V0:%[0-9]+]] = mem.read @{{v[0-9]+}}[0] : f32
// CHECK-NEXT:   c2c.send [[V0]] to 1 "x0"
// CHECK-NEXT: }
// CHECK:      chip 1 {
// CHECK-COUNT-16: tensor @c{{[0-9]+}} : 1x4x320xf16 weight
// CHECK:        tensor @[[WHOLE:tmp[0-9]+]] : 1x1x640xf32 scratch
// CHECK:        [[MINE:%[0-9]+]] = vxm.exp {{.*}} : f32
// CHECK:        [[R:%[0-9]+]] = c2c.recv from 0 "x0" : f32
// CHECK-NEXT:   mem.write [[R]] -> @[[WHOLE]][0]
// CHECK-NEXT:   [[COPY:%[0-9]+]] = vxm.copy [[MINE]] : f32
// CHECK-NEXT:   mem.write [[COPY]] -> @[[WHOLE]][1]

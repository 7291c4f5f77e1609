// RUN: lpu-opt %s -p 'lpu-decompose,lpu-partition{system=node8}' | filecheck %s --check-prefix=PARTITION
// RUN: lpu-opt %s -p 'lpu-decompose,lpu-partition{system=node8 strategy=pipeline}' | filecheck %s --check-prefix=PIPELINE
// RUN: lpu-opt %s -p 'lpu-compile{system=node8}' -t lpu | filecheck %s --check-prefix=SCHEDULED
// RUN: lpu-opt %s -p 'lpu-compile{system="node8 {chips_per_node = 2}"}' --print-debuginfo | lpu-run - --input 2x640xf16=random:1 --reference %s | filecheck %s --check-prefix=EXEC
// RUN: lpu-opt %s -p 'lpu-compile{system=dragonfly4 strategy=pipeline}' --print-debuginfo | lpu-run - --input 2x640xf16=random:1 --reference %s | filecheck %s --check-prefix=EXEC
// RUN: lpu-opt %s -p 'lpu-compile{system=node8 deskew=true}' -t lpu | filecheck %s --check-prefix=DESKEW
// RUN: lpu-opt %s -p 'lpu-compile{system=node8 deskew=true}' --print-debuginfo | lpu-run - --input 2x640xf16=random:1 --reference %s | filecheck %s --check-prefix=EXEC
// RUN: not lpu-opt %s -p 'lpu-partition{system=node8 strategy=zigzag}' 2>&1 | filecheck %s --check-prefix=BAD

// A linear layer split by columns (tensor parallel) whose shards feed a sigmoid
// shard by shard, then a layer split by rows: its partial sums go down the chain.
func.func @mlp(%x: tensor<2x640xf16>) -> tensor<2x320xf32> {
  %z = "tosa.const"() <{values = dense<0.0> : tensor<1xf16>}> : () -> tensor<1xf16>
  %w1 = "tosa.const"() <{values = dense<0.0625> : tensor<1x640x640xf16>}> : () -> tensor<1x640x640xf16>
  %w2 = "tosa.const"() <{values = dense<-0.125> : tensor<1x640x320xf16>}> : () -> tensor<1x640x320xf16>
  %s = tosa.const_shape {values = dense<[1, 2, 640]> : tensor<3xindex>} : () -> !tosa.shape<3>
  %x3 = tosa.reshape %x, %s : (tensor<2x640xf16>, !tosa.shape<3>) -> tensor<1x2x640xf16>
  %h = tosa.matmul %x3, %w1, %z, %z : (tensor<1x2x640xf16>, tensor<1x640x640xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x2x640xf32>
  %g = tosa.sigmoid %h : (tensor<1x2x640xf32>) -> tensor<1x2x640xf32>
  %c = tosa.cast %g : (tensor<1x2x640xf32>) -> tensor<1x2x640xf16>
  %y = tosa.matmul %c, %w2, %z, %z : (tensor<1x2x640xf16>, tensor<1x640x320xf16>, tensor<1xf16>, tensor<1xf16>) -> tensor<1x2x320xf32>
  %s2 = tosa.const_shape {values = dense<[2, 320]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %y2 = tosa.reshape %y, %s2 : (tensor<1x2x320xf32>, !tosa.shape<2>) -> tensor<2x320xf32>
  return %y2 : tensor<2x320xf32>
}

// PARTITION:      tosa.matmul {{.*}}lpu.chips = array<i64: 0, 1, 2, 3, 4, 5, 6, 7>, lpu.split = "cols"
// PARTITION:      tosa.sigmoid {{.*}}lpu.chips = array<i64: 0, 1, 2, 3, 4, 5, 6, 7>
// PARTITION:      tosa.matmul {{.*}}lpu.chips = array<i64: 0, 1, 2, 3, 4, 5, 6, 7>, lpu.split = "rows"

// PIPELINE:       tosa.matmul {{.*}}lpu.chips = array<i64: [[A:[0-9]]]>
// PIPELINE:       tosa.matmul {{.*}}lpu.chips = array<i64: [[B:[0-9]]]>

// Two chips: chip 0 sends f16 activations to chip 1, whose f32 partial sums
// come back to chip 0.
// SCHEDULED:      system "node8" cycles {{[0-9]+}}
// SCHEDULED:      chip 0 {
// SCHEDULED:      c2c.send %{{[0-9]+}}[S{{[0-9]+[EW]}}] to 1 "x{{[0-9]+}}" port {{[0-9]+}}
// SCHEDULED:      = c2c.recv from 1 "x{{[0-9]+}}" port {{[0-9]+}} -> S{{[0-9]+[EW]}} : f32
// SCHEDULED:      chip 1 {
// SCHEDULED:      = c2c.recv from 0 "x{{[0-9]+}}" port {{[0-9]+}} -> S{{[0-9]+[EW]}} : f16
// SCHEDULED:      c2c.send %{{[0-9]+}}[S{{[0-9]+[EW]}}] to 0 "x{{[0-9]+}}" port {{[0-9]+}}

// EXEC:      cycles: [[N:[0-9]+]] (static: [[N]])
// EXEC-NEXT: reference: all 1 result(s) equal {{.*}}multichip.mlir bit for bit

// Every chip aligns to the first epoch boundary (256) before it works.
// DESKEW:      chip 0 {
// DESKEW:      @0 c2c.deskew
// DESKEW-NEXT: @{{(2[5-9][0-9]|[3-9][0-9][0-9]|[0-9]{4,})}} {{.*}}
// DESKEW:      chip 1 {
// DESKEW:      @0 c2c.deskew

// BAD: lpu-opt: error: lpu-partition: unknown strategy 'zigzag' (known: auto, tensor, pipeline, hybrid, single)

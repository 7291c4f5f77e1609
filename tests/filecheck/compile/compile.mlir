// RUN: lpu-opt %s -p lpu-decompose,lpu-vectorize -t lpu | filecheck %s --check-prefix=LOGICAL
// RUN: lpu-opt %s -p 'lpu-compile{system=tsp-v1}' -t lpu | filecheck %s --check-prefix=SCHEDULED
// RUN: lpu-opt %s -p 'lpu-compile{system=tsp-v1}' --print-debuginfo | lpu-run - --input 4x700xf32=random:1 --input 1x700xf32=random:2 --reference %s | filecheck %s --check-prefix=EXEC
// RUN: not lpu-opt %s -p 'lpu-compile{system=nosuch}' 2>&1 | filecheck %s --check-prefix=BADSYSTEM

func.func @bias_exp(%a: tensor<4x700xf32>, %b: tensor<1x700xf32>) -> tensor<4x700xf32> {
  %0 = tosa.add %a, %b : (tensor<4x700xf32>, tensor<1x700xf32>) -> tensor<4x700xf32>
  %1 = tosa.exp %0 : (tensor<4x700xf32>) -> tensor<4x700xf32>
  return %1 : tensor<4x700xf32>
}

// LOGICAL:      system "tsp-v1"
// LOGICAL:      tensor @in0 : 4x700xf32 input 0
// LOGICAL-NEXT: tensor @in1 : 1x700xf32 input 1
// LOGICAL:      tensor @v{{[0-9]+}} : 4x700xf32 output 0
// LOGICAL:      = mem.read @in0[0] : f32[3]
// LOGICAL-NEXT: = mem.read @in1[0] : f32[3]
// LOGICAL-NEXT: = vxm.add
// LOGICAL:      = vxm.exp %{{[0-9]+}} : f32[12]

// SCHEDULED:      system "tsp-v1" cycles [[CYCLES:[0-9]+]]
// SCHEDULED:      tensor @in0 : 4x700xf32 input 0 at {{[WE][0-9]+}} {{[0-9]+}}
// SCHEDULED:      @{{[0-9]+ +}}%{{[0-9]+}} = mem.read @in0[0] -> S{{[0-9]+[EW]}} : f32[3]
// SCHEDULED:      vxm.exp %{{[0-9]+}}[S{{[0-9]+[EW]}}] alu {{[0-9]+}} -> S{{[0-9]+[EW]}} : f32[12]

// EXEC:      result0: tensor<4x700xf32> =
// EXEC:      cycles: [[N:[0-9]+]] (static: [[N]])
// EXEC-NEXT: reference: all 1 result(s) equal {{.*}}compile.mlir bit for bit

// BADSYSTEM: lpu-opt: error: #lpu.system: unknown system preset 'nosuch' (known: tsp-v1, node8, dragonfly4, explicit)
// BADSYSTEM-NOT: Traceback

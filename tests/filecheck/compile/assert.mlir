// RUN: lpu-opt %s -p 'lpu-compile{entry=holds}' --print-debuginfo | lpu-run - --input 4xf32=1,2,3,4 --reference %s | filecheck %s --check-prefix=HOLDS
// RUN: not lpu-opt %s -p 'lpu-compile{entry=fails}' 2>&1 | filecheck %s --check-prefix=FAILS
// RUN: not lpu-opt %s -p 'lpu-compile{entry=computed}' 2>&1 | filecheck %s --check-prefix=COMPUTED

// cf.assert, as frontends emit it for shape checks: a constant condition is
// decided at compile time (true: dropped; false: a located error with the
// assertion's message); a run-time one is refused.
func.func @holds(%x: tensor<4xf32>) -> tensor<4xf32> {
  %t = arith.constant true
  cf.assert %t, "shapes agree"
  %y = tosa.exp %x : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

func.func @fails(%x: tensor<4xf32>) -> tensor<4xf32> {
  %f = arith.constant false
  cf.assert %f, "dimension 0 must be 8"
  return %x : tensor<4xf32>
}

func.func @computed(%x: tensor<4xf32>, %n: tensor<i32>) -> tensor<4xf32> {
  %i = tensor.extract %n[] : tensor<i32>
  %z = arith.constant 0 : i32
  %c = arith.cmpi sgt, %i, %z : i32
  cf.assert %c, "n must be positive"
  return %x : tensor<4xf32>
}

// HOLDS:      cycles: [[N:[0-9]+]] (static: [[N]])
// HOLDS-NEXT: reference: all 1 result(s) equal {{.*}}assert.mlir bit for bit
// FAILS:      assert.mlir:17:3: error: 'cf.assert' fails at compile time: dimension 0 must be 8
// FAILS-NOT:  Traceback
// COMPUTED:   assert.mlir:25:3: error: 'cf.assert' cannot be compiled: its condition is computed at run time
// COMPUTED-NOT: Traceback

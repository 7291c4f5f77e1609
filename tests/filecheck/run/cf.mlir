// The cf dialect on the reference: branches between blocks, and cf.assert
// checked at run time (frontends emit it for shape checks).

// RUN: lpu-run %s --input 4xf32=1,2,3,4 --input i1=1 | filecheck %s --check-prefix=TAKEN
// RUN: not lpu-run %s --input 4xf32=1,2,3,4 --input i1=0 2>&1 | filecheck %s --check-prefix=ASSERT

// TAKEN: result0: tensor<4xf32> = [2.0, 4.0, 6.0, 8.0]
// ASSERT: lpu-run: error: cf.assert at {{.*}}cf.mlir:[[# @LINE + 12]]:3: assertion failed: the doubling branch was taken
func.func @main(%x: tensor<4xf32>, %c: i1) -> tensor<4xf32> {
  %t = arith.constant true
  cf.assert %t, "always holds"
  cf.cond_br %c, ^double(%x : tensor<4xf32>), ^negate
^double(%y: tensor<4xf32>):
  %d = arith.addf %y, %y : tensor<4xf32>
  cf.br ^done(%d : tensor<4xf32>)
^negate:
  %n = arith.negf %x : tensor<4xf32>
  cf.br ^done(%n : tensor<4xf32>)
^done(%r: tensor<4xf32>):
  cf.assert %c, "the doubling branch was taken"
  return %r : tensor<4xf32>
}

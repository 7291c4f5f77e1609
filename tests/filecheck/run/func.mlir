// RUN: lpu-run %s --input 2xi32=1,-3 | filecheck %s
// func.call runs the callee's body; the public function is the one run.

// CHECK: result0: tensor<2xi32> = [4, -12]
func.func private @double(%x: tensor<2xi32>) -> tensor<2xi32> {
  %0 = arith.addi %x, %x : tensor<2xi32>
  return %0 : tensor<2xi32>
}

func.func @main(%x: tensor<2xi32>) -> tensor<2xi32> {
  %0 = func.call @double(%x) : (tensor<2xi32>) -> tensor<2xi32>
  %1 = func.call @double(%0) : (tensor<2xi32>) -> tensor<2xi32>
  return %1 : tensor<2xi32>
}

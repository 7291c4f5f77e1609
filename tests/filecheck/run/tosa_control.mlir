// TOSA control flow on the reference, in the style of upstream's TOSA
// integration tests: i = start; while (i <= 3) i += n.

// RUN: lpu-run %s --function while_test --input i32=4 | filecheck %s --check-prefix=ITER0
// RUN: lpu-run %s --function while_test --input i32=-3 | filecheck %s --check-prefix=ITER4
// RUN: lpu-run %s --function if_test --input i1=1 --input i32=10 | filecheck %s --check-prefix=IF_TRUE
// RUN: lpu-run %s --function if_test --input i1=0 --input i32=10 | filecheck %s --check-prefix=IF_FALSE

// ITER0: result0: tensor<i32> = 4
// ITER4: result0: tensor<i32> = 5
func.func @while_test(%start: tensor<i32>) -> tensor<i32> {
  %0 = tosa.while_loop (%arg0 = %start) : (tensor<i32>) -> tensor<i32> {
    %1 = "tosa.const"() <{values = dense<3> : tensor<i32>}> : () -> tensor<i32>
    %2 = tosa.greater_equal %1, %arg0 : (tensor<i32>, tensor<i32>) -> tensor<i1>
    tosa.yield %2 : tensor<i1>
  } do {
  ^bb0(%arg0: tensor<i32>):
    %1 = "tosa.const"() <{values = dense<2> : tensor<i32>}> : () -> tensor<i32>
    %2 = tosa.add %arg0, %1 : (tensor<i32>, tensor<i32>) -> tensor<i32>
    tosa.yield %2 : tensor<i32>
  }
  return %0 : tensor<i32>
}

// IF_TRUE: result0: tensor<i32> = 20
// IF_FALSE: result0: tensor<i32> = 10
func.func @if_test(%c: tensor<i1>, %x: tensor<i32>) -> tensor<i32> {
  %0 = tosa.cond_if %c : tensor<i1> -> tensor<i32> {
    %1 = "tosa.const"() <{values = dense<10> : tensor<i32>}> : () -> tensor<i32>
    %2 = tosa.add %x, %1 : (tensor<i32>, tensor<i32>) -> tensor<i32>
    tosa.yield %2 : tensor<i32>
  } else {
    tosa.yield %x : tensor<i32>
  }
  return %0 : tensor<i32>
}

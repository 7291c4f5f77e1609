// Errors of the reference interpreter name the op and its file:line:col.
// RUN: not lpu-run %s --function unsupported --input 4xi32=1 2>&1 | filecheck %s --check-prefix=NOIMPL
// RUN: not lpu-run %s --function gather --input 1x3x1xf32=1,2,3 --input 1x2xi32=0,3 2>&1 | filecheck %s --check-prefix=GATHER
// Command-line values are checked: a tolerance is finite and not negative, a decimal
// that rounds to infinity is an error, a random input names its seed.
// RUN: not lpu-run %s --function unsupported --input-random --atol nan 2>&1 | filecheck %s --check-prefix=ATOL
// RUN: not lpu-run %s --function gather --input 1x3x1xf32=1e39 --input-random 2>&1 | filecheck %s --check-prefix=INF
// RUN: not lpu-run %s --function gather --seed 4 2>&1 | filecheck %s --check-prefix=RANDOM

// ATOL: lpu-run: error: argument --atol: 'nan' is not a finite number >= 0
// INF:  lpu-run: error: input 0: 1e39 does not fit in f32: it rounds to infinity (write inf for infinity)
// RANDOM: tosa.gather at {{.*}}errors.mlir:{{[0-9]+}}:3: an index is outside 0..2: 2 .. 4

// NOIMPL: builtin.unrealized_conversion_cast at {{.*}}errors.mlir:[[# @LINE + 2]]:3: the reference interpreter does not implement this op
func.func @unsupported(%a: tensor<4xi32>) -> tensor<4xi32> {
  %0 = builtin.unrealized_conversion_cast %a : tensor<4xi32> to tensor<4xi32>
  return %0 : tensor<4xi32>
}

// GATHER: tosa.gather at {{.*}}errors.mlir:[[# @LINE + 2]]:3: an index is outside 0..2: 0 .. 3
func.func @gather(%v: tensor<1x3x1xf32>, %i: tensor<1x2xi32>) -> tensor<1x2x1xf32> {
  %0 = tosa.gather %v, %i : (tensor<1x3x1xf32>, tensor<1x2xi32>) -> tensor<1x2x1xf32>
  return %0 : tensor<1x2x1xf32>
}

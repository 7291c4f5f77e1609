// RUN: not lpu-opt %s -p 'lpu-partition{system=node8 strategy=pipeline}' 2>&1 | filecheck %s
// RUN: lpu-opt %s -p 'lpu-partition{system=node8 strategy=tensor}' | filecheck %s --check-prefix=TENSOR

// One matmul whose resident int8 weights (8192 x 28672, a Llama-2-70B
// feed-forward projection: 235 MB) exceed one chip's 230 MB of SRAM: no
// pipeline stage can hold it, and lpu-partition says so at the op instead of
// leaving lpu-allocate-sram to fail with a memory map; the tensor strategy
// splits it by columns.
func.func @ffn(%x: tensor<1x1x8192xi8>, %w: tensor<1x8192x28672xi8> {lpu.weight}) -> tensor<1x1x28672xi32> {
  %z = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.matmul %x, %w, %z, %z : (tensor<1x1x8192xi8>, tensor<1x8192x28672xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x1x28672xi32>
  return %y : tensor<1x1x28672xi32>
}

// CHECK:     partition_too_big.mlir:11:3: error: lpu-partition: 'tosa.matmul' needs {{[0-9]+}} bytes of SRAM for its weights, inputs and results, more than one chip's 230686720: no pipeline stage can hold it (strategy=tensor splits it over chips)
// CHECK-NOT: Traceback
// TENSOR:    tosa.matmul {{.*}}lpu.split = "cols"

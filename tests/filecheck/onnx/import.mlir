// lpu-opt imports ONNX models (the .onnx extension picks the frontend):
// TOSA 1.0 on tensors, every op located at its node (`file:N:1 (OpType 'name')`,
// N the node's position), initializers as constants or {lpu.weight} arguments.
// RUN: %python %S/inputs/make_models.py %t
// RUN: lpu-opt %t/block.onnx --input-shape x=2x4 --print-debuginfo | filecheck %s
// RUN: lpu-opt %t/block.onnx --input-shape x=2x4 --weights-as-arguments | filecheck %s --check-prefix=WEIGHTS
// RUN: lpu-run %t/block.onnx --input-shape x=2x4 --input 2x4xf32=1 | filecheck %s --check-prefix=OUT
// RUN: not lpu-opt %t/block.onnx 2>&1 | filecheck %s --check-prefix=UNBOUND
// RUN: not lpu-opt %t/unsupported.onnx 2>&1 | filecheck %s --check-prefix=UNKNOWN-OP

// CHECK:      func.func @block(%x: tensor<2x4xf32> loc(unknown)) -> tensor<2x3xf32> {
// CHECK:        %[[W:.*]] = "tosa.const"() <{values = dense<5.000000e-01> : tensor<4x3xf32>}> : () -> tensor<4x3xf32> loc("MatMul 'proj'"("{{.*}}block.onnx":1:1))
// CHECK:        %[[MM:.*]] = tosa.matmul {{.*}} -> tensor<1x2x3xf32> loc("MatMul 'proj'"("{{.*}}block.onnx":1:1))
// CHECK:        linalg.generic
// CHECK:          arith.divf {{.*}} loc("Div 'halve'"("{{.*}}block.onnx":2:1))
// CHECK:        tosa.reduce_max {{.*}} {axis = 1 : i32} {{.*}} loc("Softmax 'probs'"("{{.*}}block.onnx":3:1))
// CHECK:        tosa.exp
// CHECK:        tosa.reduce_sum
// CHECK:        func.return {{.*}} : tensor<2x3xf32>

// WEIGHTS: func.func @block(%x: tensor<2x4xf32>, %w: tensor<4x3xf32> {lpu.weight}) -> tensor<2x3xf32> {
// WEIGHTS: "tosa.const"() <{values = dense<2.000000e+00> : tensor<f32>}>

// OUT: result0: tensor<2x3xf32> = {{\[\[}}0.3333333{{[0-9]*}}, 0.3333333{{[0-9]*}}, 0.3333333{{[0-9]*}}], [0.3333333{{[0-9]*}}, 0.3333333{{[0-9]*}}, 0.3333333{{[0-9]*}}]]

// UNBOUND: block.onnx: input 'x': error: the shape [batch, 4] is not static; bind it with --input-shape x=DIMS

// UNKNOWN-OP: unsupported.onnx:1:1 (Hardmax 'hm'): error: ONNX op Hardmax is not supported by the importer

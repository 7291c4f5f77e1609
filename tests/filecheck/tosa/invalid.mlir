// RUN: lpu-opt %s --split-input-file --verify-diagnostics | filecheck %s

// Each verifier of the TOSA dialect names the op and what is wrong, at the op's line.

// no broadcast
func.func @t(%a: tensor<2x3xf32>, %b: tensor<4x3xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.add' op operands of shapes 2x3, 4x3 do not broadcast (dimension 0)
  %0 = tosa.add %a, %b : (tensor<2x3xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

// comparison result
func.func @t(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.equal' op expects a result of element type i1, got f32
  %0 = tosa.equal %a, %b : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

// mul of i8 into i8
func.func @t(%x: tensor<4xi8>) {
  %s = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.mul' op expects a result of element type i32 for i8 operands, got i8
  %0 = tosa.mul %x, %x, %s : (tensor<4xi8>, tensor<4xi8>, tensor<1xi8>) -> tensor<4xi8>
  func.return
}

// -----

// select condition
func.func @t(%a: tensor<4xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.select' op expects an i1 condition (input1), got f32
  %0 = tosa.select %a, %a, %a : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// nonzero float zero point
func.func @t(%a: tensor<4xf32>) {
  %zp = "tosa.const"() <{values = dense<1.0> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.negate' op expects input1_zp to be 0 for non-i8 element types, got 1.0
  %0 = tosa.negate %a, %zp, %zp : (tensor<4xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<4xf32>
  func.return
}

// -----

// clamp bounds order
func.func @t(%a: tensor<4xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.clamp' op expects min_val <= max_val, got 2.0 > 1.0
  %0 = tosa.clamp %a {min_val = 2.0 : f32, max_val = 1.0 : f32} : (tensor<4xf32>) -> tensor<4xf32>
  func.return
}

// -----

// cast shape
func.func @t(%a: tensor<4xi32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.cast' op expects a result of the input's shape 4, got 2
  %0 = tosa.cast %a : (tensor<4xi32>) -> tensor<2xf32>
  func.return
}

// -----

// rescale multiplier
func.func @t(%x: tensor<4xi8>) {
  %m = "tosa.const"() <{values = dense<1> : tensor<1xi16>}> : () -> tensor<1xi16>
  %s = "tosa.const"() <{values = dense<30> : tensor<1xi8>}> : () -> tensor<1xi8>
  %izp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %ozp = "tosa.const"() <{values = dense<0> : tensor<1xi32>}> : () -> tensor<1xi32>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.rescale' op expects multiplier to be a tensor<1xi32>, got tensor<1xi16>
  %0 = tosa.rescale %x, %m, %s, %izp, %ozp {input_unsigned = false, output_unsigned = false, per_channel = false, rounding_mode = SINGLE_ROUND, scale32 = true} : (tensor<4xi8>, tensor<1xi16>, tensor<1xi8>, tensor<1xi8>, tensor<1xi32>) -> tensor<4xi32>
  func.return
}

// -----

// table size
func.func @t(%x: tensor<4xi8>) {
  %t = "tosa.const"() <{values = dense<0> : tensor<255xi8>}> : () -> tensor<255xi8>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.table' op expects a tensor<256xi8> table, got tensor<255xi8>
  %0 = tosa.table %x, %t : (tensor<4xi8>, tensor<255xi8>) -> tensor<4xi8>
  func.return
}

// -----

// axis out of range
func.func @t(%a: tensor<2x3xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.reduce_sum' op axis 2 is out of range for a rank-2 tensor
  %0 = tosa.reduce_sum %a {axis = 2 : i32} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

// argmax shape
func.func @t(%a: tensor<2x3xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.argmax' op expects a result of shape 2, got 3
  %0 = tosa.argmax %a {axis = 1 : i32} : (tensor<2x3xf32>) -> tensor<3xi32>
  func.return
}

// -----

// matmul batch
func.func @t(%a: tensor<2x4x8xf32>, %b: tensor<3x8x3xf32>) {
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.matmul' op expects a and b of one batch size, got 2 and 3
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<2x4x8xf32>, tensor<3x8x3xf32>, tensor<1xf32>, tensor<1xf32>) -> tensor<2x4x3xf32>
  func.return
}

// -----

// matmul accumulator
func.func @t(%a: tensor<1x4x8xi8>, %b: tensor<1x8x3xi8>) {
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.matmul' op expects a result of element type i32 for i8 inputs, got i8
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xi8>, tensor<1x8x3xi8>, tensor<1xi8>, tensor<1xi8>) -> tensor<1x4x3xi8>
  func.return
}

// -----

// matmul bf16 into bf16
func.func @t(%a: tensor<1x4x8xbf16>, %b: tensor<1x8x3xbf16>) {
  %zp = "tosa.const"() <{values = dense<0> : tensor<1xbf16>}> : () -> tensor<1xbf16>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.matmul' op expects a result of element type f32 for bf16 inputs, got bf16
  %0 = tosa.matmul %a, %b, %zp, %zp : (tensor<1x4x8xbf16>, tensor<1x8x3xbf16>, tensor<1xbf16>, tensor<1xbf16>) -> tensor<1x4x3xbf16>
  func.return
}

// -----

// max_pool2d result
func.func @t(%x: tensor<1x4x4x2xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.max_pool2d' op expects a result of type tensor<1x2x2x2xf32>, got tensor<1x3x2x2xf32>
  %0 = tosa.max_pool2d %x {kernel = array<i64: 2, 2>, pad = array<i64: 0, 0, 0, 0>, stride = array<i64: 2, 2>} : (tensor<1x4x4x2xf32>) -> tensor<1x3x2x2xf32>
  func.return
}

// -----

// transpose perms
func.func @t(%a: tensor<2x3xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.transpose' op expects perms to be a permutation of 0..1, got [0, 0]
  %0 = tosa.transpose %a {perms = array<i32: 0, 0>} : (tensor<2x3xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

// reshape count
func.func @t(%a: tensor<2x3xf32>) {
  %s = tosa.const_shape {values = dense<[4, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.reshape' op cannot reshape 6 elements into 4x2
  %0 = tosa.reshape %a, %s : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x2xf32>
  func.return
}

// -----

// slice bounds
func.func @t(%a: tensor<2x3xf32>) {
  %start = tosa.const_shape {values = dense<[0, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %size = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.slice' op slice [2, 4) is out of bounds of dimension 1 (size 3)
  %0 = tosa.slice %a, %start, %size : (tensor<2x3xf32>, !tosa.shape<2>, !tosa.shape<2>) -> tensor<2x2xf32>
  func.return
}

// -----

// concat off-axis
func.func @t(%a: tensor<2x3xf32>, %c: tensor<2x4xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.concat' op input #1 of shape 2x4 differs from input #0 off axis 0
  %0 = tosa.concat %a, %c {axis = 0 : i32} : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  func.return
}

// -----

// pad result
func.func @t(%a: tensor<2x3xf32>) {
  %p = tosa.const_shape {values = dense<[1, 1, 0, 0]> : tensor<4xindex>} : () -> !tosa.shape<4>
  %v = "tosa.const"() <{values = dense<0.0> : tensor<1xf32>}> : () -> tensor<1xf32>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.pad' op expects a result of type tensor<4x3xf32>, got tensor<2x3xf32>
  %0 = tosa.pad %a, %p, %v : (tensor<2x3xf32>, !tosa.shape<4>, tensor<1xf32>) -> tensor<2x3xf32>
  func.return
}

// -----

// tile result
func.func @t(%a: tensor<2x3xf32>) {
  %m = tosa.const_shape {values = dense<[2, 2]> : tensor<2xindex>} : () -> !tosa.shape<2>
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.tile' op expects a result of type tensor<4x6xf32>, got tensor<4x3xf32>
  %0 = tosa.tile %a, %m : (tensor<2x3xf32>, !tosa.shape<2>) -> tensor<4x3xf32>
  func.return
}

// -----

// gather index type
func.func @t(%v: tensor<2x5x3xf32>, %ix: tensor<2x4xi8>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.gather' op expects i32 indices, got i8
  %0 = tosa.gather %v, %ix : (tensor<2x5x3xf32>, tensor<2x4xi8>) -> tensor<2x4x3xf32>
  func.return
}

// -----

// const type
func.func @t() {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.const' op expects a result of its values' type tensor<2xi32>, got tensor<3xi32>
  %c = "tosa.const"() <{values = dense<1> : tensor<2xi32>}> : () -> tensor<3xi32>
  func.return
}

// -----

// const_shape result
func.func @t() {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.const_shape' op expects a result of type !tosa.shape<2>, got !tosa.shape<3>
  %s = "tosa.const_shape"() <{values = dense<1> : tensor<2xindex>}> : () -> !tosa.shape<3>
  func.return
}

// -----

// dynamic shape
func.func @t(%a: tensor<?x3xf32>) {
// CHECK: :[[# @LINE + 1]]:3: error: 'tosa.abs' op expects the input to be a ranked tensor with a static shape, got tensor<?x3xf32>
  %0 = tosa.abs %a : (tensor<?x3xf32>) -> tensor<?x3xf32>
  func.return
}

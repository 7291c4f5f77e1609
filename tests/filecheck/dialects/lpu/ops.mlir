// The ops of ops.lpu in generic MLIR form: lpu-opt reads them and prints them back
// unchanged, in generic form, after a round trip through the default printer, and
// after a round trip through the .lpu target and frontend.
// RUN: lpu-opt %s --split-input-file --print-op-generic | filecheck %s
// RUN: lpu-opt %s --split-input-file | lpu-opt --split-input-file --print-op-generic | filecheck %s
// RUN: lpu-opt %s --split-input-file -t lpu | lpu-opt -f lpu --split-input-file --print-op-generic | filecheck %s

// Logical level.
"builtin.module"() ({
  "lpu.system"() <{machine = #lpu.system<"node8">}> ({
    "lpu.chip"() <{id = #builtin.int<0>}> ({
      "lpu.tensor"() <{sym_name = "x", type = tensor<8x320xf32>, kind = "input", arg = #builtin.int<0>}> : () -> ()
      "lpu.tensor"() <{sym_name = "i", type = tensor<4x320xi32>, kind = "input", arg = #builtin.int<1>}> : () -> ()
      "lpu.tensor"() <{sym_name = "h", type = tensor<16x320xi16>, kind = "input", arg = #builtin.int<2>}> : () -> ()
      "lpu.tensor"() <{sym_name = "y", type = tensor<8x320xf32>, kind = "output", arg = #builtin.int<0>}> : () -> ()
      "lpu.tensor"() <{sym_name = "w", type = tensor<320x320xi8>, kind = "weight", value = dense<1> : tensor<320x320xi8>}> : () -> ()
      "lpu.tensor"() <{sym_name = "v", type = tensor<160x320xbf16>, kind = "weight", value = dense<2.500000e-01> : tensor<160x320xbf16>}> : () -> ()
      "lpu.tensor"() <{sym_name = "s", type = tensor<2x320xf16>, kind = "scratch", row_lanes = #builtin.int<160>}> : () -> ()
      %f = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
      %g = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<4>}> : () -> !lpu.vec<f32, 4>
      %i = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>}> : () -> !lpu.vec<i32, 4>
      %j = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>, step = #builtin.int<0>}> : () -> !lpu.vec<i32, 4>
      %k = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, step = #builtin.int<2>}> : () -> !lpu.vec<f32, 4>
      %neg = "lpu.vxm.neg"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %abs = "lpu.vxm.abs"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %not = "lpu.vxm.not"(%i) : (!lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %copy = "lpu.vxm.copy"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %relu = "lpu.vxm.relu"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %exp = "lpu.vxm.exp"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %log = "lpu.vxm.log"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %tanh = "lpu.vxm.tanh"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %sigmoid = "lpu.vxm.sigmoid"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %erf = "lpu.vxm.erf"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %rsqrt = "lpu.vxm.rsqrt"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %recip = "lpu.vxm.reciprocal"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %add = "lpu.vxm.add"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %sub = "lpu.vxm.sub"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %mul = "lpu.vxm.mul"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %div = "lpu.vxm.div"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %min = "lpu.vxm.min"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %max = "lpu.vxm.max"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %and = "lpu.vxm.and"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %or = "lpu.vxm.or"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %xor = "lpu.vxm.xor"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %shl = "lpu.vxm.shl"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %shr = "lpu.vxm.shr"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %shru = "lpu.vxm.shru"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %pow = "lpu.vxm.pow"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %lt = "lpu.vxm.cmp"(%f, %g) <{predicate = "lt"}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<i32, 4>
      %eq = "lpu.vxm.cmp"(%i, %j) <{predicate = "eq"}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i8, 4>
      %sel = "lpu.vxm.select"(%lt, %f, %g) : (!lpu.vec<i32, 4>, !lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %cv = "lpu.vxm.convert"(%sel) : (!lpu.vec<f32, 4>) -> !lpu.vec<i8, 4>
      %gat = "lpu.mem.gather"(%i) <{tensor = @x}> : (!lpu.vec<i32, 4>) -> !lpu.vec<f32, 4>
      %hi = "lpu.mem.read"() <{tensor = @h, index = #builtin.int<0>}> : () -> !lpu.vec<i16, 16>
      %hv = "lpu.mem.gather"(%hi) <{tensor = @h}> : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
      "lpu.mem.scatter"(%gat, %i) <{tensor = @y}> : (!lpu.vec<f32, 4>, !lpu.vec<i32, 4>) -> ()
      %north = "lpu.sxm.shift"(%f) <{direction = "north", amount = #builtin.int<3>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %south = "lpu.sxm.shift"(%north) <{direction = "south", amount = #builtin.int<1>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %rot = "lpu.sxm.rotate"(%south) <{amount = #builtin.int<5>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %perm = "lpu.sxm.permute"(%rot) <{map = array<i32: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 270, 271, 272, 273, 274, 275, 276, 277, 278, 279, 280, 281, 282, 283, 284, 285, 286, 287, 288, 289, 290, 291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 0>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %dist = "lpu.sxm.distribute"(%perm) <{map = array<i32: 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %tr = "lpu.sxm.transpose"(%hv) : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
      %wr = "lpu.mem.read"() <{tensor = @w, index = #builtin.int<0>}> : () -> !lpu.vec<i8, 320>
      %wt = "lpu.mxm.install"(%wr) : (!lpu.vec<i8, 320>) -> !lpu.weights<i8>
      %p = "lpu.mxm.matmul"(%wt, %cv) : (!lpu.weights<i8>, !lpu.vec<i8, 4>) -> !lpu.vec<i32, 4>
      %q = "lpu.mxm.matmul"(%wt, %cv, %p) : (!lpu.weights<i8>, !lpu.vec<i8, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %v0 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<0>}> : () -> !lpu.vec<bf16, 100>
      %v1 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<100>}> : () -> !lpu.vec<bf16, 60>
      %vt = "lpu.mxm.install"(%v0, %v1) : (!lpu.vec<bf16, 100>, !lpu.vec<bf16, 60>) -> !lpu.weights<bf16>
      %b = "lpu.vxm.convert"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<bf16, 4>
      %r = "lpu.mxm.matmul"(%vt, %b) : (!lpu.weights<bf16>, !lpu.vec<bf16, 4>) -> !lpu.vec<f32, 4>
      "lpu.mem.write"(%dist) <{tensor = @y, index = #builtin.int<0>}> : (!lpu.vec<f32, 4>) -> ()
      "lpu.mem.write"(%r) <{tensor = @y, index = #builtin.int<1>, step = #builtin.int<2>}> : (!lpu.vec<f32, 4>) -> ()
      %one = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>}> : () -> !lpu.vec<f32>
      "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch"}> : (!lpu.vec<f32>) -> ()
      "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch"}> : (!lpu.vec<f32>) -> ()
      "lpu.c2c.send"(%one) <{to = #builtin.int<2>, channel = "far"}> : (!lpu.vec<f32>) -> ()
      "lpu.icu.nop"() <{count = #builtin.int<10>}> : () -> ()
      "lpu.icu.notify"() : () -> ()
      "lpu.icu.sync"() : () -> ()
      "lpu.c2c.deskew"() : () -> ()
    }) : () -> ()
    "lpu.chip"() <{id = #builtin.int<1>}> ({
      %first = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch"}> : () -> !lpu.vec<f32>
      %second = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch"}> : () -> !lpu.vec<f32>
    }) : () -> ()
    "lpu.chip"() <{id = #builtin.int<2>}> ({
      %far = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "far"}> : () -> !lpu.vec<f32>
    }) : () -> ()
  }) : () -> ()
}) : () -> ()

// CHECK-LABEL: "builtin.module"() ({
// CHECK-NEXT:   "lpu.system"() <{machine = #lpu.system<"node8">}> ({
// CHECK-NEXT:     "lpu.chip"() <{id = #builtin.int<0>}> ({
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "x", type = tensor<8x320xf32>, kind = "input", arg = #builtin.int<0>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "i", type = tensor<4x320xi32>, kind = "input", arg = #builtin.int<1>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "h", type = tensor<16x320xi16>, kind = "input", arg = #builtin.int<2>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "y", type = tensor<8x320xf32>, kind = "output", arg = #builtin.int<0>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "w", type = tensor<320x320xi8>, kind = "weight", value = dense<1> : tensor<320x320xi8>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "v", type = tensor<160x320xbf16>, kind = "weight", value = dense<2.500000e-01> : tensor<160x320xbf16>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "s", type = tensor<2x320xf16>, kind = "scratch", row_lanes = #builtin.int<160>}> : () -> ()
// CHECK-NEXT:       %f = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %g = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<4>}> : () -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %i = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>}> : () -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %j = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>, step = #builtin.int<0>}> : () -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %k = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, step = #builtin.int<2>}> : () -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %neg = "lpu.vxm.neg"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %abs = "lpu.vxm.abs"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %not = "lpu.vxm.not"(%i) : (!lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %copy = "lpu.vxm.copy"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %relu = "lpu.vxm.relu"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %exp = "lpu.vxm.exp"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %log = "lpu.vxm.log"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %tanh = "lpu.vxm.tanh"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %sigmoid = "lpu.vxm.sigmoid"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %erf = "lpu.vxm.erf"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %rsqrt = "lpu.vxm.rsqrt"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %recip = "lpu.vxm.reciprocal"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %add = "lpu.vxm.add"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %sub = "lpu.vxm.sub"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %mul = "lpu.vxm.mul"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %div = "lpu.vxm.div"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %min = "lpu.vxm.min"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %max = "lpu.vxm.max"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %and = "lpu.vxm.and"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %or = "lpu.vxm.or"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %xor = "lpu.vxm.xor"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %shl = "lpu.vxm.shl"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %shr = "lpu.vxm.shr"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %shru = "lpu.vxm.shru"(%i, %j) : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %pow = "lpu.vxm.pow"(%f, %g) : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %lt = "lpu.vxm.cmp"(%f, %g) <{predicate = "lt"}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %eq = "lpu.vxm.cmp"(%i, %j) <{predicate = "eq"}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i8, 4>
// CHECK-NEXT:       %sel = "lpu.vxm.select"(%lt, %f, %g) : (!lpu.vec<i32, 4>, !lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %cv = "lpu.vxm.convert"(%sel) : (!lpu.vec<f32, 4>) -> !lpu.vec<i8, 4>
// CHECK-NEXT:       %gat = "lpu.mem.gather"(%i) <{tensor = @x}> : (!lpu.vec<i32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %hi = "lpu.mem.read"() <{tensor = @h, index = #builtin.int<0>}> : () -> !lpu.vec<i16, 16>
// CHECK-NEXT:       %hv = "lpu.mem.gather"(%hi) <{tensor = @h}> : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
// CHECK-NEXT:       "lpu.mem.scatter"(%gat, %i) <{tensor = @y}> : (!lpu.vec<f32, 4>, !lpu.vec<i32, 4>) -> ()
// CHECK-NEXT:       %north = "lpu.sxm.shift"(%f) <{direction = "north", amount = #builtin.int<3>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %south = "lpu.sxm.shift"(%north) <{direction = "south", amount = #builtin.int<1>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %rot = "lpu.sxm.rotate"(%south) <{amount = #builtin.int<5>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %perm = "lpu.sxm.permute"(%rot) <{map = array<i32: 1, 2, 3, {{(([0-9]+, )+)}}319, 0>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %dist = "lpu.sxm.distribute"(%perm) <{map = array<i32: 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %tr = "lpu.sxm.transpose"(%hv) : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
// CHECK-NEXT:       %wr = "lpu.mem.read"() <{tensor = @w, index = #builtin.int<0>}> : () -> !lpu.vec<i8, 320>
// CHECK-NEXT:       %wt = "lpu.mxm.install"(%wr) : (!lpu.vec<i8, 320>) -> !lpu.weights<i8>
// CHECK-NEXT:       %p = "lpu.mxm.matmul"(%wt, %cv) : (!lpu.weights<i8>, !lpu.vec<i8, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %q = "lpu.mxm.matmul"(%wt, %cv, %p) : (!lpu.weights<i8>, !lpu.vec<i8, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %v0 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<0>}> : () -> !lpu.vec<bf16, 100>
// CHECK-NEXT:       %v1 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<100>}> : () -> !lpu.vec<bf16, 60>
// CHECK-NEXT:       %vt = "lpu.mxm.install"(%v0, %v1) : (!lpu.vec<bf16, 100>, !lpu.vec<bf16, 60>) -> !lpu.weights<bf16>
// CHECK-NEXT:       %b = "lpu.vxm.convert"(%f) : (!lpu.vec<f32, 4>) -> !lpu.vec<bf16, 4>
// CHECK-NEXT:       %r = "lpu.mxm.matmul"(%vt, %b) : (!lpu.weights<bf16>, !lpu.vec<bf16, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       "lpu.mem.write"(%dist) <{tensor = @y, index = #builtin.int<0>}> : (!lpu.vec<f32, 4>) -> ()
// CHECK-NEXT:       "lpu.mem.write"(%r) <{tensor = @y, index = #builtin.int<1>, step = #builtin.int<2>}> : (!lpu.vec<f32, 4>) -> ()
// CHECK-NEXT:       %one = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>}> : () -> !lpu.vec<f32>
// CHECK-NEXT:       "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch"}> : (!lpu.vec<f32>) -> ()
// CHECK-NEXT:       "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch"}> : (!lpu.vec<f32>) -> ()
// CHECK-NEXT:       "lpu.c2c.send"(%one) <{to = #builtin.int<2>, channel = "far"}> : (!lpu.vec<f32>) -> ()
// CHECK-NEXT:       "lpu.icu.nop"() <{count = #builtin.int<10>}> : () -> ()
// CHECK-NEXT:       "lpu.icu.notify"() : () -> ()
// CHECK-NEXT:       "lpu.icu.sync"() : () -> ()
// CHECK-NEXT:       "lpu.c2c.deskew"() : () -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:     "lpu.chip"() <{id = #builtin.int<1>}> ({
// CHECK-NEXT:       %first = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch"}> : () -> !lpu.vec<f32>
// CHECK-NEXT:       %second = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch"}> : () -> !lpu.vec<f32>
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:     "lpu.chip"() <{id = #builtin.int<2>}> ({
// CHECK-NEXT:       %far = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "far"}> : () -> !lpu.vec<f32>
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()
// CHECK-NEXT: }) : () -> ()

// -----
// Scheduled level: cycles, placements (alu, hemisphere, plane, port), streams.
"builtin.module"() ({
  "lpu.system"() <{machine = #lpu.system<"node8", {local_latency = 250 : i64, chip = #lpu.chip<"tsp-v1", {delay_vxm = 3 : i64}>}>, static_cycles = #builtin.int<1000>}> ({
    "lpu.chip"() <{id = #builtin.int<0>}> ({
      "lpu.tensor"() <{sym_name = "x", type = tensor<8x320xf32>, kind = "input", arg = #builtin.int<0>, slice = "W4", address = #builtin.int<0>}> : () -> ()
      "lpu.tensor"() <{sym_name = "i", type = tensor<4x320xi32>, kind = "input", arg = #builtin.int<1>, slice = "E4", address = #builtin.int<0>}> : () -> ()
      "lpu.tensor"() <{sym_name = "h", type = tensor<16x320xi16>, kind = "input", arg = #builtin.int<2>, slice = "E8", address = #builtin.int<0>}> : () -> ()
      "lpu.tensor"() <{sym_name = "y", type = tensor<8x320xf32>, kind = "output", arg = #builtin.int<0>, slice = "W12", address = #builtin.int<0>}> : () -> ()
      "lpu.tensor"() <{sym_name = "w", type = tensor<320x320xi8>, kind = "weight", slice = "E20", address = #builtin.int<0>, value = dense<1> : tensor<320x320xi8>}> : () -> ()
      "lpu.tensor"() <{sym_name = "v", type = tensor<160x320xbf16>, kind = "weight", slice = "W20", address = #builtin.int<0>, value = dense<2.500000e-01> : tensor<160x320xbf16>}> : () -> ()
      "lpu.tensor"() <{sym_name = "s", type = tensor<2x320xf16>, kind = "scratch", row_lanes = #builtin.int<160>, slice = "W30", address = #builtin.int<0>}> : () -> ()
      %f = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
      %g = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<4>, dst = #lpu.stream<S4E>, cycle = #builtin.int<4>}> : () -> !lpu.vec<f32, 4>
      %i = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>, dst = #lpu.stream<S0W>, cycle = #builtin.int<0>}> : () -> !lpu.vec<i32, 4>
      %j = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>, step = #builtin.int<0>, dst = #lpu.stream<S4W>, cycle = #builtin.int<4>}> : () -> !lpu.vec<i32, 4>
      %k = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, step = #builtin.int<2>, dst = #lpu.stream<S8E>, cycle = #builtin.int<8>}> : () -> !lpu.vec<f32, 4>
      %neg = "lpu.vxm.neg"(%f) <{alu = #builtin.int<0>, srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S12E>, cycle = #builtin.int<10>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %abs = "lpu.vxm.abs"(%f) <{alu = #builtin.int<1>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<10>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %not = "lpu.vxm.not"(%i) <{alu = #builtin.int<2>, srcs = [#lpu.stream<S0W>], dst = #lpu.stream<S8W>, cycle = #builtin.int<10>}> : (!lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %copy = "lpu.vxm.copy"(%abs) <{alu = #builtin.int<1>, srcs = [#lpu.alu<1>], cycle = #builtin.int<11>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %relu = "lpu.vxm.relu"(%copy) <{alu = #builtin.int<3>, srcs = [#lpu.alu<1>], cycle = #builtin.int<12>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %exp = "lpu.vxm.exp"(%f) <{alu = #builtin.int<4>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %log = "lpu.vxm.log"(%f) <{alu = #builtin.int<5>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %tanh = "lpu.vxm.tanh"(%f) <{alu = #builtin.int<6>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %sigmoid = "lpu.vxm.sigmoid"(%f) <{alu = #builtin.int<7>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %erf = "lpu.vxm.erf"(%f) <{alu = #builtin.int<8>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %rsqrt = "lpu.vxm.rsqrt"(%f) <{alu = #builtin.int<9>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %recip = "lpu.vxm.reciprocal"(%f) <{alu = #builtin.int<10>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %add = "lpu.vxm.add"(%f, %g) <{alu = #builtin.int<11>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], dst = #lpu.stream<S16E>, cycle = #builtin.int<14>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %sub = "lpu.vxm.sub"(%f, %g) <{alu = #builtin.int<12>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<14>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %mul = "lpu.vxm.mul"(%f, %g) <{alu = #builtin.int<13>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<14>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %div = "lpu.vxm.div"(%i, %j) <{alu = #builtin.int<14>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<14>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %min = "lpu.vxm.min"(%f, %g) <{alu = #builtin.int<15>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<15>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %max = "lpu.vxm.max"(%min, %g) <{alu = #builtin.int<15>, srcs = [#lpu.alu<15>, #lpu.stream<S4E>], cycle = #builtin.int<16>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %and = "lpu.vxm.and"(%i, %j) <{alu = #builtin.int<0>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %or = "lpu.vxm.or"(%i, %j) <{alu = #builtin.int<1>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %xor = "lpu.vxm.xor"(%i, %j) <{alu = #builtin.int<2>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %shl = "lpu.vxm.shl"(%i, %j) <{alu = #builtin.int<3>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %shr = "lpu.vxm.shr"(%i, %j) <{alu = #builtin.int<4>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %shru = "lpu.vxm.shru"(%i, %j) <{alu = #builtin.int<5>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %pow = "lpu.vxm.pow"(%f, %g) <{alu = #builtin.int<6>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<18>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %lt = "lpu.vxm.cmp"(%f, %g) <{predicate = "lt", alu = #builtin.int<7>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<18>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<i32, 4>
      %eq = "lpu.vxm.cmp"(%i, %j) <{predicate = "eq", alu = #builtin.int<8>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], dst = #lpu.stream<S20E>, cycle = #builtin.int<18>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i8, 4>
      %sel = "lpu.vxm.select"(%lt, %f, %g) <{alu = #builtin.int<9>, srcs = [#lpu.alu<7>, #lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<21>}> : (!lpu.vec<i32, 4>, !lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %cv = "lpu.vxm.convert"(%sel) <{alu = #builtin.int<10>, srcs = [#lpu.alu<9>], dst = #lpu.stream<S21E>, cycle = #builtin.int<24>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<i8, 4>
      %gat = "lpu.mem.gather"(%i) <{tensor = @x, srcs = [#lpu.stream<S0W>], dst = #lpu.stream<S24E>, cycle = #builtin.int<30>}> : (!lpu.vec<i32, 4>) -> !lpu.vec<f32, 4>
      %hi = "lpu.mem.read"() <{tensor = @h, index = #builtin.int<0>, dst = #lpu.stream<S12W>, cycle = #builtin.int<30>}> : () -> !lpu.vec<i16, 16>
      %hv = "lpu.mem.gather"(%hi) <{tensor = @h, srcs = [#lpu.stream<S12W>], dst = #lpu.stream<S14W>, cycle = #builtin.int<40>}> : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
      "lpu.mem.scatter"(%gat, %i) <{tensor = @y, srcs = [#lpu.stream<S24E>, #lpu.stream<S0W>], cycle = #builtin.int<50>}> : (!lpu.vec<f32, 4>, !lpu.vec<i32, 4>) -> ()
      %north = "lpu.sxm.shift"(%f) <{direction = "north", amount = #builtin.int<3>, hemisphere = "E", srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S16W>, cycle = #builtin.int<60>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %south = "lpu.sxm.shift"(%north) <{direction = "south", amount = #builtin.int<1>, hemisphere = "W", srcs = [#lpu.stream<S16W>], dst = #lpu.stream<S28E>, cycle = #builtin.int<70>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %rot = "lpu.sxm.rotate"(%south) <{amount = #builtin.int<5>, hemisphere = "E", srcs = [#lpu.stream<S28E>], dst = #lpu.stream<S20W>, cycle = #builtin.int<80>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %perm = "lpu.sxm.permute"(%rot) <{map = array<i32: 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 99, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151, 152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167, 168, 169, 170, 171, 172, 173, 174, 175, 176, 177, 178, 179, 180, 181, 182, 183, 184, 185, 186, 187, 188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, 200, 201, 202, 203, 204, 205, 206, 207, 208, 209, 210, 211, 212, 213, 214, 215, 216, 217, 218, 219, 220, 221, 222, 223, 224, 225, 226, 227, 228, 229, 230, 231, 232, 233, 234, 235, 236, 237, 238, 239, 240, 241, 242, 243, 244, 245, 246, 247, 248, 249, 250, 251, 252, 253, 254, 255, 256, 257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, 270, 271, 272, 273, 274, 275, 276, 277, 278, 279, 280, 281, 282, 283, 284, 285, 286, 287, 288, 289, 290, 291, 292, 293, 294, 295, 296, 297, 298, 299, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310, 311, 312, 313, 314, 315, 316, 317, 318, 319, 0>, hemisphere = "W", srcs = [#lpu.stream<S20W>], dst = #lpu.stream<S24E>, cycle = #builtin.int<90>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %dist = "lpu.sxm.distribute"(%perm) <{map = array<i32: 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0>, hemisphere = "E", srcs = [#lpu.stream<S24E>], dst = #lpu.stream<S24W>, cycle = #builtin.int<100>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
      %tr = "lpu.sxm.transpose"(%hv) <{hemisphere = "W", srcs = [#lpu.stream<S14W>], dst = #lpu.stream<S28E>, cycle = #builtin.int<110>}> : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
      %wr = "lpu.mem.read"() <{tensor = @w, index = #builtin.int<0>, dst = #lpu.stream<S22W>, cycle = #builtin.int<120>}> : () -> !lpu.vec<i8, 320>
      %wt = "lpu.mxm.install"(%wr) <{hemisphere = "E", plane = #builtin.int<1>, srcs = [#lpu.stream<S22W>], cycle = #builtin.int<130>}> : (!lpu.vec<i8, 320>) -> !lpu.weights<i8>
      %p = "lpu.mxm.matmul"(%wt, %cv) <{hemisphere = "E", plane = #builtin.int<1>, srcs = [#lpu.stream<S21E>], dst = #lpu.stream<S28W>, cycle = #builtin.int<460>}> : (!lpu.weights<i8>, !lpu.vec<i8, 4>) -> !lpu.vec<i32, 4>
      %q = "lpu.mxm.matmul"(%wt, %cv, %p) <{hemisphere = "E", plane = #builtin.int<1>, srcs = [#lpu.stream<S21E>], dst = #lpu.stream<S28W>, cycle = #builtin.int<464>}> : (!lpu.weights<i8>, !lpu.vec<i8, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
      %v0 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<120>}> : () -> !lpu.vec<bf16, 100>
      %v1 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<100>, dst = #lpu.stream<S2E>, cycle = #builtin.int<120>}> : () -> !lpu.vec<bf16, 60>
      %vt = "lpu.mxm.install"(%v0, %v1) <{hemisphere = "W", plane = #builtin.int<0>, srcs = [#lpu.stream<S0E>, #lpu.stream<S2E>], cycle = #builtin.int<130>}> : (!lpu.vec<bf16, 100>, !lpu.vec<bf16, 60>) -> !lpu.weights<bf16>
      %b = "lpu.vxm.convert"(%f) <{alu = #builtin.int<11>, srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S4E>, cycle = #builtin.int<240>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<bf16, 4>
      %r = "lpu.mxm.matmul"(%vt, %b) <{hemisphere = "W", plane = #builtin.int<0>, srcs = [#lpu.stream<S4E>], dst = #lpu.stream<S8E>, cycle = #builtin.int<250>}> : (!lpu.weights<bf16>, !lpu.vec<bf16, 4>) -> !lpu.vec<f32, 4>
      "lpu.mem.write"(%dist) <{tensor = @y, index = #builtin.int<0>, srcs = [#lpu.stream<S24W>], cycle = #builtin.int<300>}> : (!lpu.vec<f32, 4>) -> ()
      "lpu.mem.write"(%r) <{tensor = @y, index = #builtin.int<1>, step = #builtin.int<2>, srcs = [#lpu.stream<S8E>], cycle = #builtin.int<310>}> : (!lpu.vec<f32, 4>) -> ()
      %one = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, dst = #lpu.stream<S16W>, cycle = #builtin.int<320>}> : () -> !lpu.vec<f32>
      "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch", port = #builtin.int<0>, srcs = [#lpu.stream<S16W>], cycle = #builtin.int<330>}> : (!lpu.vec<f32>) -> ()
      "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch", port = #builtin.int<0>, srcs = [#lpu.stream<S16W>], cycle = #builtin.int<354>}> : (!lpu.vec<f32>) -> ()
      "lpu.c2c.send"(%one) <{to = #builtin.int<2>, channel = "far", port = #builtin.int<0>, srcs = [#lpu.stream<S16W>], cycle = #builtin.int<378>}> : (!lpu.vec<f32>) -> ()
      "lpu.icu.notify"() <{cycle = #builtin.int<400>}> : () -> ()
      "lpu.icu.sync"() <{cycle = #builtin.int<416>}> : () -> ()
      "lpu.c2c.deskew"() <{cycle = #builtin.int<420>}> : () -> ()
    }) : () -> ()
    "lpu.chip"() <{id = #builtin.int<1>}> ({
      %first = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch", port = #builtin.int<6>, dst = #lpu.stream<S0E>, cycle = #builtin.int<580>}> : () -> !lpu.vec<f32>
      %second = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch", port = #builtin.int<6>, dst = #lpu.stream<S4E>, cycle = #builtin.int<604>}> : () -> !lpu.vec<f32>
      "lpu.c2c.forward"() <{channel = "far", in_port = #builtin.int<6>, out_port = #builtin.int<0>, cycle = #builtin.int<628>}> : () -> ()
    }) : () -> ()
    "lpu.chip"() <{id = #builtin.int<2>}> ({
      %far = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "far", port = #builtin.int<6>, dst = #lpu.stream<S0W>, cycle = #builtin.int<882>}> : () -> !lpu.vec<f32>
    }) : () -> ()
  }) : () -> ()
}) : () -> ()

// CHECK-LABEL: "builtin.module"() ({
// CHECK-NEXT:   "lpu.system"() <{machine = #lpu.system<"node8", {local_latency = 250 : i64, chip = #lpu.chip<"tsp-v1", {delay_vxm = 3 : i64}>}>, static_cycles = #builtin.int<1000>}> ({
// CHECK-NEXT:     "lpu.chip"() <{id = #builtin.int<0>}> ({
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "x", type = tensor<8x320xf32>, kind = "input", arg = #builtin.int<0>, slice = "W4", address = #builtin.int<0>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "i", type = tensor<4x320xi32>, kind = "input", arg = #builtin.int<1>, slice = "E4", address = #builtin.int<0>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "h", type = tensor<16x320xi16>, kind = "input", arg = #builtin.int<2>, slice = "E8", address = #builtin.int<0>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "y", type = tensor<8x320xf32>, kind = "output", arg = #builtin.int<0>, slice = "W12", address = #builtin.int<0>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "w", type = tensor<320x320xi8>, kind = "weight", slice = "E20", address = #builtin.int<0>, value = dense<1> : tensor<320x320xi8>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "v", type = tensor<160x320xbf16>, kind = "weight", slice = "W20", address = #builtin.int<0>, value = dense<2.500000e-01> : tensor<160x320xbf16>}> : () -> ()
// CHECK-NEXT:       "lpu.tensor"() <{sym_name = "s", type = tensor<2x320xf16>, kind = "scratch", row_lanes = #builtin.int<160>, slice = "W30", address = #builtin.int<0>}> : () -> ()
// CHECK-NEXT:       %f = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %g = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<4>, dst = #lpu.stream<S4E>, cycle = #builtin.int<4>}> : () -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %i = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>, dst = #lpu.stream<S0W>, cycle = #builtin.int<0>}> : () -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %j = "lpu.mem.read"() <{tensor = @i, index = #builtin.int<0>, step = #builtin.int<0>, dst = #lpu.stream<S4W>, cycle = #builtin.int<4>}> : () -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %k = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, step = #builtin.int<2>, dst = #lpu.stream<S8E>, cycle = #builtin.int<8>}> : () -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %neg = "lpu.vxm.neg"(%f) <{alu = #builtin.int<0>, srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S12E>, cycle = #builtin.int<10>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %abs = "lpu.vxm.abs"(%f) <{alu = #builtin.int<1>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<10>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %not = "lpu.vxm.not"(%i) <{alu = #builtin.int<2>, srcs = [#lpu.stream<S0W>], dst = #lpu.stream<S8W>, cycle = #builtin.int<10>}> : (!lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %copy = "lpu.vxm.copy"(%abs) <{alu = #builtin.int<1>, srcs = [#lpu.alu<1>], cycle = #builtin.int<11>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %relu = "lpu.vxm.relu"(%copy) <{alu = #builtin.int<3>, srcs = [#lpu.alu<1>], cycle = #builtin.int<12>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %exp = "lpu.vxm.exp"(%f) <{alu = #builtin.int<4>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %log = "lpu.vxm.log"(%f) <{alu = #builtin.int<5>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %tanh = "lpu.vxm.tanh"(%f) <{alu = #builtin.int<6>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %sigmoid = "lpu.vxm.sigmoid"(%f) <{alu = #builtin.int<7>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %erf = "lpu.vxm.erf"(%f) <{alu = #builtin.int<8>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %rsqrt = "lpu.vxm.rsqrt"(%f) <{alu = #builtin.int<9>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %recip = "lpu.vxm.reciprocal"(%f) <{alu = #builtin.int<10>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<13>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %add = "lpu.vxm.add"(%f, %g) <{alu = #builtin.int<11>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], dst = #lpu.stream<S16E>, cycle = #builtin.int<14>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %sub = "lpu.vxm.sub"(%f, %g) <{alu = #builtin.int<12>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<14>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %mul = "lpu.vxm.mul"(%f, %g) <{alu = #builtin.int<13>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<14>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %div = "lpu.vxm.div"(%i, %j) <{alu = #builtin.int<14>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<14>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %min = "lpu.vxm.min"(%f, %g) <{alu = #builtin.int<15>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<15>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %max = "lpu.vxm.max"(%min, %g) <{alu = #builtin.int<15>, srcs = [#lpu.alu<15>, #lpu.stream<S4E>], cycle = #builtin.int<16>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %and = "lpu.vxm.and"(%i, %j) <{alu = #builtin.int<0>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %or = "lpu.vxm.or"(%i, %j) <{alu = #builtin.int<1>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %xor = "lpu.vxm.xor"(%i, %j) <{alu = #builtin.int<2>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %shl = "lpu.vxm.shl"(%i, %j) <{alu = #builtin.int<3>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %shr = "lpu.vxm.shr"(%i, %j) <{alu = #builtin.int<4>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %shru = "lpu.vxm.shru"(%i, %j) <{alu = #builtin.int<5>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], cycle = #builtin.int<17>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %pow = "lpu.vxm.pow"(%f, %g) <{alu = #builtin.int<6>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<18>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %lt = "lpu.vxm.cmp"(%f, %g) <{predicate = "lt", alu = #builtin.int<7>, srcs = [#lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<18>}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %eq = "lpu.vxm.cmp"(%i, %j) <{predicate = "eq", alu = #builtin.int<8>, srcs = [#lpu.stream<S0W>, #lpu.stream<S4W>], dst = #lpu.stream<S20E>, cycle = #builtin.int<18>}> : (!lpu.vec<i32, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i8, 4>
// CHECK-NEXT:       %sel = "lpu.vxm.select"(%lt, %f, %g) <{alu = #builtin.int<9>, srcs = [#lpu.alu<7>, #lpu.stream<S0E>, #lpu.stream<S4E>], cycle = #builtin.int<21>}> : (!lpu.vec<i32, 4>, !lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %cv = "lpu.vxm.convert"(%sel) <{alu = #builtin.int<10>, srcs = [#lpu.alu<9>], dst = #lpu.stream<S21E>, cycle = #builtin.int<24>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<i8, 4>
// CHECK-NEXT:       %gat = "lpu.mem.gather"(%i) <{tensor = @x, srcs = [#lpu.stream<S0W>], dst = #lpu.stream<S24E>, cycle = #builtin.int<30>}> : (!lpu.vec<i32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %hi = "lpu.mem.read"() <{tensor = @h, index = #builtin.int<0>, dst = #lpu.stream<S12W>, cycle = #builtin.int<30>}> : () -> !lpu.vec<i16, 16>
// CHECK-NEXT:       %hv = "lpu.mem.gather"(%hi) <{tensor = @h, srcs = [#lpu.stream<S12W>], dst = #lpu.stream<S14W>, cycle = #builtin.int<40>}> : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
// CHECK-NEXT:       "lpu.mem.scatter"(%gat, %i) <{tensor = @y, srcs = [#lpu.stream<S24E>, #lpu.stream<S0W>], cycle = #builtin.int<50>}> : (!lpu.vec<f32, 4>, !lpu.vec<i32, 4>) -> ()
// CHECK-NEXT:       %north = "lpu.sxm.shift"(%f) <{direction = "north", amount = #builtin.int<3>, hemisphere = "E", srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S16W>, cycle = #builtin.int<60>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %south = "lpu.sxm.shift"(%north) <{direction = "south", amount = #builtin.int<1>, hemisphere = "W", srcs = [#lpu.stream<S16W>], dst = #lpu.stream<S28E>, cycle = #builtin.int<70>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %rot = "lpu.sxm.rotate"(%south) <{amount = #builtin.int<5>, hemisphere = "E", srcs = [#lpu.stream<S28E>], dst = #lpu.stream<S20W>, cycle = #builtin.int<80>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %perm = "lpu.sxm.permute"(%rot) <{map = array<i32: 1, 2, 3, {{(([0-9]+, )+)}}319, 0>, hemisphere = "W", srcs = [#lpu.stream<S20W>], dst = #lpu.stream<S24E>, cycle = #builtin.int<90>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %dist = "lpu.sxm.distribute"(%perm) <{map = array<i32: 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0>, hemisphere = "E", srcs = [#lpu.stream<S24E>], dst = #lpu.stream<S24W>, cycle = #builtin.int<100>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       %tr = "lpu.sxm.transpose"(%hv) <{hemisphere = "W", srcs = [#lpu.stream<S14W>], dst = #lpu.stream<S28E>, cycle = #builtin.int<110>}> : (!lpu.vec<i16, 16>) -> !lpu.vec<i16, 16>
// CHECK-NEXT:       %wr = "lpu.mem.read"() <{tensor = @w, index = #builtin.int<0>, dst = #lpu.stream<S22W>, cycle = #builtin.int<120>}> : () -> !lpu.vec<i8, 320>
// CHECK-NEXT:       %wt = "lpu.mxm.install"(%wr) <{hemisphere = "E", plane = #builtin.int<1>, srcs = [#lpu.stream<S22W>], cycle = #builtin.int<130>}> : (!lpu.vec<i8, 320>) -> !lpu.weights<i8>
// CHECK-NEXT:       %p = "lpu.mxm.matmul"(%wt, %cv) <{hemisphere = "E", plane = #builtin.int<1>, srcs = [#lpu.stream<S21E>], dst = #lpu.stream<S28W>, cycle = #builtin.int<460>}> : (!lpu.weights<i8>, !lpu.vec<i8, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %q = "lpu.mxm.matmul"(%wt, %cv, %p) <{hemisphere = "E", plane = #builtin.int<1>, srcs = [#lpu.stream<S21E>], dst = #lpu.stream<S28W>, cycle = #builtin.int<464>}> : (!lpu.weights<i8>, !lpu.vec<i8, 4>, !lpu.vec<i32, 4>) -> !lpu.vec<i32, 4>
// CHECK-NEXT:       %v0 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<120>}> : () -> !lpu.vec<bf16, 100>
// CHECK-NEXT:       %v1 = "lpu.mem.read"() <{tensor = @v, index = #builtin.int<100>, dst = #lpu.stream<S2E>, cycle = #builtin.int<120>}> : () -> !lpu.vec<bf16, 60>
// CHECK-NEXT:       %vt = "lpu.mxm.install"(%v0, %v1) <{hemisphere = "W", plane = #builtin.int<0>, srcs = [#lpu.stream<S0E>, #lpu.stream<S2E>], cycle = #builtin.int<130>}> : (!lpu.vec<bf16, 100>, !lpu.vec<bf16, 60>) -> !lpu.weights<bf16>
// CHECK-NEXT:       %b = "lpu.vxm.convert"(%f) <{alu = #builtin.int<11>, srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S4E>, cycle = #builtin.int<240>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<bf16, 4>
// CHECK-NEXT:       %r = "lpu.mxm.matmul"(%vt, %b) <{hemisphere = "W", plane = #builtin.int<0>, srcs = [#lpu.stream<S4E>], dst = #lpu.stream<S8E>, cycle = #builtin.int<250>}> : (!lpu.weights<bf16>, !lpu.vec<bf16, 4>) -> !lpu.vec<f32, 4>
// CHECK-NEXT:       "lpu.mem.write"(%dist) <{tensor = @y, index = #builtin.int<0>, srcs = [#lpu.stream<S24W>], cycle = #builtin.int<300>}> : (!lpu.vec<f32, 4>) -> ()
// CHECK-NEXT:       "lpu.mem.write"(%r) <{tensor = @y, index = #builtin.int<1>, step = #builtin.int<2>, srcs = [#lpu.stream<S8E>], cycle = #builtin.int<310>}> : (!lpu.vec<f32, 4>) -> ()
// CHECK-NEXT:       %one = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, dst = #lpu.stream<S16W>, cycle = #builtin.int<320>}> : () -> !lpu.vec<f32>
// CHECK-NEXT:       "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch", port = #builtin.int<0>, srcs = [#lpu.stream<S16W>], cycle = #builtin.int<330>}> : (!lpu.vec<f32>) -> ()
// CHECK-NEXT:       "lpu.c2c.send"(%one) <{to = #builtin.int<1>, channel = "ch", port = #builtin.int<0>, srcs = [#lpu.stream<S16W>], cycle = #builtin.int<354>}> : (!lpu.vec<f32>) -> ()
// CHECK-NEXT:       "lpu.c2c.send"(%one) <{to = #builtin.int<2>, channel = "far", port = #builtin.int<0>, srcs = [#lpu.stream<S16W>], cycle = #builtin.int<378>}> : (!lpu.vec<f32>) -> ()
// CHECK-NEXT:       "lpu.icu.notify"() <{cycle = #builtin.int<400>}> : () -> ()
// CHECK-NEXT:       "lpu.icu.sync"() <{cycle = #builtin.int<416>}> : () -> ()
// CHECK-NEXT:       "lpu.c2c.deskew"() <{cycle = #builtin.int<420>}> : () -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:     "lpu.chip"() <{id = #builtin.int<1>}> ({
// CHECK-NEXT:       %first = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch", port = #builtin.int<6>, dst = #lpu.stream<S0E>, cycle = #builtin.int<580>}> : () -> !lpu.vec<f32>
// CHECK-NEXT:       %second = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "ch", port = #builtin.int<6>, dst = #lpu.stream<S4E>, cycle = #builtin.int<604>}> : () -> !lpu.vec<f32>
// CHECK-NEXT:       "lpu.c2c.forward"() <{channel = "far", in_port = #builtin.int<6>, out_port = #builtin.int<0>, cycle = #builtin.int<628>}> : () -> ()
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:     "lpu.chip"() <{id = #builtin.int<2>}> ({
// CHECK-NEXT:       %far = "lpu.c2c.recv"() <{sender = #builtin.int<0>, channel = "far", port = #builtin.int<6>, dst = #lpu.stream<S0W>, cycle = #builtin.int<882>}> : () -> !lpu.vec<f32>
// CHECK-NEXT:     }) : () -> ()
// CHECK-NEXT:   }) : () -> ()
// CHECK-NEXT: }) : () -> ()

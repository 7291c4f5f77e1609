// Verifier rules of the lpu dialect that only IR written in MLIR (or built in
// Python) can break, since the .lpu grammar cannot express the mistake. Type and
// attribute errors are found while parsing, and point into the attribute.
// RUN: lpu-opt %s --split-input-file --verify-diagnostics --parsing-diagnostics | filecheck %s
// RUN: not lpu-opt %s --split-input-file 2>&1 | filecheck %s --check-prefix=FIRST
// FIRST: invalid.mlir:[[# @LINE + 7]]:37: error: LPU vectors hold signless and unsigned integers, not si8
// FIRST-NOT: Traceback

"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 2]]:37
    // CHECK: LPU vectors hold signless and unsigned integers, not si8
    "lpu.icu.notify"() {t = !lpu.vec<si8, 4>} : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
// CHECK: invalid.mlir:[[# @LINE + 2]]:33
// CHECK: LPU vectors hold i1, i8, ui8, i16, ui16, i32, ui32, f16, bf16 or f32, not i64
"lpu.icu.notify"() {t = !lpu.vec<i64>} : () -> ()

// -----
// CHECK: invalid.mlir:[[# @LINE + 2]]:37
// CHECK: expected a stream name like S3E or S0W
"lpu.icu.notify"() {s = #lpu.stream<S3N>} : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'lpu.system': holds only lpu.chip ops, found 'arith.constant'
  %0 = "arith.constant"() <{value = 1 : i32}> : () -> i32
}) : () -> ()

// -----
// CHECK: invalid.mlir:[[# @LINE + 1]]:1: error: 'lpu.icu.notify' expects parent op 'lpu.chip'
"lpu.icu.notify"() : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.chip': holds only lpu.tensor ops and LPU instructions, found 'arith.constant'
    %0 = "arith.constant"() <{value = 1 : i32}> : () -> i32
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"node8">}> ({
  // CHECK: invalid.mlir:[[# @LINE + 1]]:3: error: 'lpu.system': chip -1 does not exist: the system has 8 chips
  "lpu.chip"() <{id = #builtin.int<-1>}> ({
  ^bb0:
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.tensor': kind must be one of input, output, weight, scratch, not 'bogus'
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf32>, kind = "bogus"}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: LPU vectors hold i1, i8, ui8, i16, ui16, i32, ui32, f16, bf16 or f32, not f64
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf64>, kind = "scratch"}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.tensor': a tensor in SRAM has a static shape, not tensor<?x320xf32>
    "lpu.tensor"() <{sym_name = "x", type = tensor<?x320xf32>, kind = "scratch"}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.tensor': value type tensor<320xi8> does not match tensor type tensor<320xi16>
    "lpu.tensor"() <{sym_name = "w", type = tensor<320xi16>, kind = "weight", value = dense<1> : tensor<320xi8>}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.tensor': a placement needs both slice and address
    "lpu.tensor"() <{sym_name = "x", type = tensor<320xi8>, kind = "scratch", slice = "W0"}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.tensor': slice W does not exist on this chip (MEM slices are W0..W43 and E0..E43)
    "lpu.tensor"() <{sym_name = "x", type = tensor<320xi8>, kind = "scratch", slice = "W", address = #builtin.int<0>}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.tensor': address -1 is outside a slice's 0..8191
    "lpu.tensor"() <{sym_name = "x", type = tensor<320xi8>, kind = "scratch", slice = "W0", address = #builtin.int<-1>}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.icu.notify': cycle -5 is negative
    "lpu.icu.notify"() <{cycle = #builtin.int<-5>}> : () -> ()
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf32>, kind = "scratch", slice = "W0", address = #builtin.int<0>}> : () -> ()
    %0 = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.vxm.neg': a source is a stream or an ALU, not 1 : i64
    %1 = "lpu.vxm.neg"(%0) <{alu = #builtin.int<0>, srcs = [1 : i64], dst = #lpu.stream<S4E>, cycle = #builtin.int<5>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf32>, kind = "scratch", slice = "W0", address = #builtin.int<0>}> : () -> ()
    %0 = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.vxm.neg': ALU -1 does not exist: the VXM has 16 per lane
    %1 = "lpu.vxm.neg"(%0) <{alu = #builtin.int<-1>, srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S4E>, cycle = #builtin.int<5>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf32>, kind = "scratch"}> : () -> ()
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.mem.read': vectors 3..-3 are out of range: tensor @x has 4
    %0 = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<3>, step = #builtin.int<-2>}> : () -> !lpu.vec<f32, 4>
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf32>, kind = "scratch"}> : () -> ()
    %0 = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.vxm.cmp': predicate must be one of eq, ne, lt, le, gt, ge
    %1 = "lpu.vxm.cmp"(%0, %0) <{predicate = "ult"}> : (!lpu.vec<f32, 4>, !lpu.vec<f32, 4>) -> !lpu.vec<i32, 4>
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf32>, kind = "scratch"}> : () -> ()
    %0 = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.sxm.shift': direction must be north or south, not east
    %1 = "lpu.sxm.shift"(%0) <{direction = "east", amount = #builtin.int<1>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "x", type = tensor<4x320xf32>, kind = "scratch", slice = "W0", address = #builtin.int<0>}> : () -> ()
    %0 = "lpu.mem.read"() <{tensor = @x, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<0>}> : () -> !lpu.vec<f32, 4>
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.sxm.rotate': hemisphere must be W or E, not N
    %1 = "lpu.sxm.rotate"(%0) <{amount = #builtin.int<1>, hemisphere = "N", srcs = [#lpu.stream<S0E>], dst = #lpu.stream<S4E>, cycle = #builtin.int<5>}> : (!lpu.vec<f32, 4>) -> !lpu.vec<f32, 4>
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "w", type = tensor<320x320xi8>, kind = "scratch", slice = "W0", address = #builtin.int<0>}> : () -> ()
    %0 = "lpu.mem.read"() <{tensor = @w, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<0>}> : () -> !lpu.vec<i8, 320>
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.mxm.install': hemisphere must be W or E, not C
    %1 = "lpu.mxm.install"(%0) <{hemisphere = "C", plane = #builtin.int<0>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<5>}> : (!lpu.vec<i8, 320>) -> !lpu.weights<i8>
  }) : () -> ()
}) : () -> ()

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
  "lpu.chip"() <{id = #builtin.int<0>}> ({
    "lpu.tensor"() <{sym_name = "w", type = tensor<320x320xi8>, kind = "scratch", slice = "W0", address = #builtin.int<0>}> : () -> ()
    %0 = "lpu.mem.read"() <{tensor = @w, index = #builtin.int<0>, dst = #lpu.stream<S0E>, cycle = #builtin.int<0>}> : () -> !lpu.vec<i8, 320>
    // CHECK: invalid.mlir:[[# @LINE + 1]]:5: error: 'lpu.mxm.install': plane -1 does not exist: each MXM has 2
    %1 = "lpu.mxm.install"(%0) <{hemisphere = "W", plane = #builtin.int<-1>, srcs = [#lpu.stream<S0E>], cycle = #builtin.int<5>}> : (!lpu.vec<i8, 320>) -> !lpu.weights<i8>
  }) : () -> ()
}) : () -> ()

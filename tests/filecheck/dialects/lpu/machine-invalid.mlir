// Machine descriptions that name an unknown preset or parameter, give a value of the
// wrong kind, or break a rule of the machine (docs/machine.md): each is an error at
// the attribute, found while parsing.
// RUN: lpu-opt %s --split-input-file --parsing-diagnostics | filecheck %s
// RUN: not lpu-opt %s --split-input-file 2>&1 | filecheck %s --check-prefix=FIRST
// FIRST: machine-invalid.mlir:[[# @LINE + 5]]:39: error: #lpu.system: unknown system preset 'node9'
// FIRST-NOT: Traceback

// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: unknown system preset 'node9' (known: tsp-v1, node8, dragonfly4, explicit)
"lpu.system"() <{machine = #lpu.system<"node9">}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: unknown system parameter 'latency'
"lpu.system"() <{machine = #lpu.system<"node8", {latency = 250 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: system parameter 'local_latency' must be an integer
"lpu.system"() <{machine = #lpu.system<"node8", {local_latency = "fast"}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: system parameter 'topology' must be a string
"lpu.system"() <{machine = #lpu.system<"node8", {topology = 3 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: system parameter 'local_latency' must be a non-negative integer, got -1
"lpu.system"() <{machine = #lpu.system<"node8", {local_latency = -1 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: system parameter 'chip' must be a chip preset name or a #lpu.chip
"lpu.system"() <{machine = #lpu.system<"node8", {chip = 3 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: unknown chip preset 'tsp-v9' (known: tsp-v1)
"lpu.system"() <{machine = #lpu.system<"node8", {chip = "tsp-v9"}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: machine parameter 'local_latency' must be an integer or a string, not 2.500000e+00 : f64
"lpu.system"() <{machine = #lpu.system<"node8", {local_latency = 2.5}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: unknown topology 'mesh' (known: single, full, ring, dragonfly, explicit)
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {topology = "mesh"}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: a system needs at least one node of at least one chip
"lpu.system"() <{machine = #lpu.system<"node8", {nodes = 0 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: epoch and cycles_per_vector must be positive
"lpu.system"() <{machine = #lpu.system<"node8", {epoch = 0 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: topology 'single' has exactly one chip
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chips_per_node = 2 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: topology 'ring' is one node
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {topology = "ring", nodes = 2 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: topology 'full' is one node; use 'dragonfly' for several
"lpu.system"() <{machine = #lpu.system<"node8", {nodes = 2 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// 7 local and 10 global ports do not fit in 16.
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: 7 local + 10 global ports exceed the chip's 16
"lpu.system"() <{machine = #lpu.system<"node8", {global_ports = 10 : i64}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: link '0:0-1' is not of the form chip:port-chip:port[@latency]
"lpu.system"() <{machine = #lpu.system<"explicit", {links = "0:0-1"}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: link 0:0-2:0 names chip 2, but the system has 2
"lpu.system"() <{machine = #lpu.system<"explicit", {links = "0:0-2:0"}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: link 0:0-1:16 names port 16, but chips have 16
"lpu.system"() <{machine = #lpu.system<"explicit", {links = "0:0-1:16"}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: port 1:0 is used by two links
"lpu.system"() <{machine = #lpu.system<"explicit", {links = "0:0-1:0, 1:0-0:1"}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: unknown chip preset 'tsp-v9' (known: tsp-v1)
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v9">}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: unknown chip parameter 'delay_vmx'
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {delay_vmx = 3 : i64}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: chip parameter 'delay_vxm' must be an integer
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {delay_vxm = "3"}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: chip parameter 'floorplan' must be a string
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {floorplan = 3 : i64}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: chip parameter 'delay_vxm' must be a non-negative integer, got -1
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {delay_vxm = -1 : i64}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: lanes (330) must be a multiple of superlanes (20)
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {lanes = 330 : i64}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: chip parameter 'streams' must be positive
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {streams = 0 : i64}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: sram_addresses must be a multiple of sram_banks
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {sram_banks = 3 : i64}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: link_ports must be even (half per hemisphere)
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {link_ports = 15 : i64}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: floorplan token 'VPU' is not MXM, SXM, MEM or VXM[*n]
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {floorplan = "MXM SXM MEM*4 VPU MEM*4 SXM MXM"}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: the floorplan needs exactly one VXM (it splits the hemispheres)
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {floorplan = "MXM SXM MEM*4 MEM*4 SXM MXM"}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:67
// CHECK: #lpu.chip: hemisphere W needs exactly one MXM
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {chip = #lpu.chip<"tsp-v1", {floorplan = "SXM MEM*4 VXM MEM*4 SXM MXM"}>}>}> ({
^bb0:
}) : () -> ()

// -----
// CHECK: machine-invalid.mlir:[[# @LINE + 2]]:39
// CHECK: #lpu.system: 7 local + 4 global ports exceed the chip's 8
"lpu.system"() <{machine = #lpu.system<"node8", {chip = #lpu.chip<"tsp-v1", {link_ports = 8 : i64}>}>}> ({
^bb0:
}) : () -> ()

// Machine descriptions: a preset plus overrides, for the chip and for the system
// (docs/machine.md). They print back unchanged, as MLIR and as the .lpu system line.
// Errors in them are in machine-invalid.mlir.
// RUN: lpu-opt %s --split-input-file | filecheck %s
// RUN: lpu-opt %s --split-input-file -t lpu | filecheck %s --check-prefix=LPU
// RUN: lpu-opt %s --split-input-file -t lpu | lpu-opt -f lpu --split-input-file | filecheck %s --check-prefix=BACK

"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
^bb0:
}) : () -> ()
// CHECK:      "lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
// LPU:        system "tsp-v1"
// BACK:       "lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({

// -----
"lpu.system"() <{machine = #lpu.system<"node8", {local_latency = 250 : i64, chip = #lpu.chip<"tsp-v1", {delay_vxm = 3 : i64, streams = 16 : i64}>}>, static_cycles = #builtin.int<1234>}> ({
^bb0:
}) : () -> ()
// CHECK:      "lpu.system"() <{machine = #lpu.system<"node8", {local_latency = 250 : i64, chip = #lpu.chip<"tsp-v1", {delay_vxm = 3 : i64, streams = 16 : i64}>}>, static_cycles = #builtin.int<1234>}> ({
// LPU:        system "node8" {local_latency = 250} with chip "tsp-v1" {delay_vxm = 3, streams = 16} cycles 1234
// BACK:       "lpu.system"() <{machine = #lpu.system<"node8", {local_latency = 250 : i64, chip = #lpu.chip<"tsp-v1", {delay_vxm = 3 : i64, streams = 16 : i64}>}>, static_cycles = #builtin.int<1234>}> ({

// -----
"lpu.system"() <{machine = #lpu.system<"dragonfly4", {global_latency = 700 : i64, epoch = 512 : i64, cycles_per_vector = 30 : i64}>}> ({
^bb0:
}) : () -> ()
// CHECK:      "lpu.system"() <{machine = #lpu.system<"dragonfly4", {global_latency = 700 : i64, epoch = 512 : i64, cycles_per_vector = 30 : i64}>}> ({
// LPU:        system "dragonfly4" {global_latency = 700, epoch = 512, cycles_per_vector = 30}
// BACK:       "lpu.system"() <{machine = #lpu.system<"dragonfly4", {global_latency = 700 : i64, epoch = 512 : i64, cycles_per_vector = 30 : i64}>}> ({

// -----
"lpu.system"() <{machine = #lpu.system<"explicit", {chips_per_node = 3 : i64, links = "0:0-1:0, 1:1-2:0@300"}>}> ({
^bb0:
}) : () -> ()
// CHECK:      "lpu.system"() <{machine = #lpu.system<"explicit", {chips_per_node = 3 : i64, links = "0:0-1:0, 1:1-2:0@300"}>}> ({
// LPU:        system "explicit" {chips_per_node = 3, links = "0:0-1:0, 1:1-2:0@300"}
// BACK:       "lpu.system"() <{machine = #lpu.system<"explicit", {chips_per_node = 3 : i64, links = "0:0-1:0, 1:1-2:0@300"}>}> ({

// -----
"lpu.system"() <{machine = #lpu.system<"tsp-v1", {topology = "ring", chips_per_node = 4 : i64, chip = #lpu.chip<"tsp-v1", {floorplan = "MXM SXM MEM*8 VXM MEM*8 SXM MXM"}>}>}> ({
^bb0:
}) : () -> ()
// CHECK:      "lpu.system"() <{machine = #lpu.system<"tsp-v1", {topology = "ring", chips_per_node = 4 : i64, chip = #lpu.chip<"tsp-v1", {floorplan = "MXM SXM MEM*8 VXM MEM*8 SXM MXM"}>}>}> ({
// LPU:        system "tsp-v1" {topology = "ring", chips_per_node = 4} with chip "tsp-v1" {floorplan = "MXM SXM MEM*8 VXM MEM*8 SXM MXM"}
// BACK:       "lpu.system"() <{machine = #lpu.system<"tsp-v1", {topology = "ring", chips_per_node = 4 : i64, chip = #lpu.chip<"tsp-v1", {floorplan = "MXM SXM MEM*8 VXM MEM*8 SXM MXM"}>}>}> ({

// -----
// The chip may be named by its preset alone; the .lpu form always says `with chip`.
"lpu.system"() <{machine = #lpu.system<"node8", {chip = "tsp-v1"}>}> ({
^bb0:
}) : () -> ()
// CHECK:      "lpu.system"() <{machine = #lpu.system<"node8", {chip = "tsp-v1"}>}> ({
// LPU:        system "node8" with chip "tsp-v1"
// BACK:       "lpu.system"() <{machine = #lpu.system<"node8", {chip = #lpu.chip<"tsp-v1">}>}> ({

// -----
// A chip attribute on its own.
"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
^bb0:
}) {chip = #lpu.chip<"tsp-v1">, tuned = #lpu.chip<"tsp-v1", {delay_vxm = 3 : i64, delay_mxm_matmul = 30 : i64}>} : () -> ()
// CHECK:      "lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({
// CHECK:      }) {chip = #lpu.chip<"tsp-v1">, tuned = #lpu.chip<"tsp-v1", {delay_vxm = 3 : i64, delay_mxm_matmul = 30 : i64}>} : () -> ()
// LPU:        system "tsp-v1"

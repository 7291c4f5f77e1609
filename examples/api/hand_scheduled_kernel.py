"""A hand-scheduled kernel built in Python and run: c = relu(a + b).

Every cycle is derived from the machine description, as a researcher
scheduling a kernel by hand would: a read's vectors enter their stream
`delay_read` cycles after issue and move one position per cycle; the add's
result stays on its ALU and is chained straight into the relu on another ALU
exactly `delay_vxm` cycles later. Run: python examples/api/hand_scheduled_kernel.py
"""

import numpy as np
from xdsl.dialects.builtin import ModuleOp

import lpuir


def build_kernel(
    machine: str | lpuir.SystemAttr = "tsp-v1", *, late: int = 0
) -> ModuleOp:
    """The kernel for a machine; `late` issues the add that many cycles late
    (a broken schedule, to show the simulator's diagnostics)."""
    program = lpuir.ProgramBuilder(machine)
    chip = program.chip(0)
    spec = program.spec.chip
    a = chip.input("a", (4, 320), "f32", at="W4")
    b = chip.input("b", (4, 320), "f32", at="E4")
    c = chip.output("c", (4, 320), "f32", at="W12")
    vxm = spec.vxm_position
    # a travels east from W4, b west from E4; both reach the VXM at `meet`
    meet = spec.delay_read + vxm - spec.mem_slices["W4"]
    assert meet == spec.delay_read + spec.mem_slices["E4"] - vxm
    x = chip.read(a, 0, 4, cycle=0, dst="S0E")
    y = chip.read(b, 0, 4, cycle=0, dst="S4W")
    s = chip.vxm("add", x, y, alu=0, cycle=meet + late, name="sum")
    r = chip.vxm("relu", s, alu=1, cycle=meet + spec.delay_vxm, dst="S8W", name="c")
    # the relu's result enters S8W at the VXM and flows west to W12
    arrive = meet + 2 * spec.delay_vxm + vxm - spec.mem_slices["W12"]
    chip.write(r, c, cycle=arrive)
    return program.build()


def main() -> None:
    module = build_kernel()
    print(lpuir.to_text(module, "lpu"))
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((4, 320)).astype(np.float32) for _ in range(2))
    result = lpuir.run(module, [a, b])
    assert np.array_equal(result.outputs[0], np.maximum(a + b, 0))
    report = result.report
    print(
        f"cycles: {report.cycles}, VXM utilisation {report.unit_utilisation['VXM']:.4f}"
    )
    try:
        build_kernel(late=1)
    except lpuir.SimulationError as e:
        print(f"a late add breaks {len(e.violations)} rule(s); the first:")
        print(e.violations[0])


if __name__ == "__main__":
    main()

"""A new LPU instruction defined outside lpuir, with its numerics and timing.

`vxm.absdiff` computes |a - b| lane by lane. Its numerics reuse lpuir's
(`numerics.sub`, then `numerics.abs`, each rounded as the VXM rounds); its
timing is two ALU passes, so its result comes `2 * delay_vxm` cycles after
each vector is taken. Registered, it parses in .lpu and MLIR text, runs on
the simulator and the logical executor, and lpu-verify-schedule checks it.
Run: python examples/api/custom_instruction.py
"""

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.irdl import irdl_op_definition

import lpuir
from lpuir import numerics
from lpuir.dialects import lpu


@lpuir.register_instruction
@irdl_op_definition
class AbsDiffOp(lpu.VxmBinaryOp):
    """|lhs - rhs| (integers wrap), in two ALU passes."""

    name = "lpu.vxm.absdiff"
    DELAY: ClassVar[str] = "vxm"

    def result_delay(self, spec: lpuir.ChipSpec) -> int:
        """A subtraction, then an absolute value on the same ALU."""
        return 2 * spec.delay_vxm

    def compute(
        self, operands: Sequence[np.ndarray], spec: lpuir.ChipSpec
    ) -> np.ndarray:
        """The result bursts from the operands' bursts, each (n, lanes)."""
        t = self.result.type.element
        return numerics.abs(numerics.sub(operands[0], operands[1], t), t)


KERNEL = """\
system "tsp-v1"

chip 0 {
  tensor @a : 4x320xi32 input 0 at W4 0
  tensor @b : 4x320xi32 input 1 at E4 0
  tensor @c : 4x320xi32 output 0 at W12 0
  @0   %a = mem.read @a[0] -> S0E : i32[4]
  @0   %b = mem.read @b[0] -> S4W : i32[4]
  @7   %c = vxm.absdiff %a[S0E], %b[S4W] alu 0 -> S8W : i32[4]
  @24  mem.write %c[S8W] -> @c[0]
}
"""
"""The add of examples/lpu/vxm_add.lpu became an absdiff: its result leaves
the VXM at 7 + 2 * 2 = 11 and reaches W12 13 positions west at 24."""


def main() -> None:
    module = lpuir.parse(KERNEL, "absdiff.lpu")
    print(lpuir.to_text(module, generic=True).splitlines()[8])
    rng = np.random.default_rng(1)
    a, b = (rng.integers(-100, 100, (4, 320), dtype=np.int32) for _ in range(2))
    result = lpuir.run(module, [a, b])
    assert np.array_equal(result.outputs[0], np.abs(a - b))
    print(
        f"cycles: {result.report.cycles} (the schedule checks: {lpuir.check_schedule(module)})"
    )
    # the same instruction from the builder, by its mnemonic
    program = lpuir.ProgramBuilder()
    chip = program.chip(0)
    x = chip.read(chip.input("a", (4, 320), "i32"), 0, 4)
    y = chip.read(chip.input("b", (4, 320), "i32"), 0, 4)
    chip.write(chip.vxm("absdiff", x, y), chip.output("c", (4, 320), "i32"))
    logical = lpuir.run(program.build(), [a, b])
    assert np.array_equal(logical.outputs[0], result.outputs[0])
    print("logical level: equal")


if __name__ == "__main__":
    main()

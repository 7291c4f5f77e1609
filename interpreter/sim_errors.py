"""What the simulator reports when a schedule breaks a rule of the machine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lpuir.diagnostics import LpuError

if TYPE_CHECKING:
    from lpuir.interpreter.sim_chip import Flit


@dataclass(frozen=True)
class Violation:
    """One broken rule: where on the array (chip, cycle, unit, stream or link),
    which rule, what happened, and the instruction's `file:line:col`."""

    chip: int
    cycle: int
    unit: str
    rule: str
    message: str
    location: str

    def __str__(self) -> str:
        return f"{self.location}: error: chip {self.chip}, cycle {self.cycle}, {self.unit}: {self.rule}: {self.message}"

    @property
    def order(self) -> tuple[int, int, str]:
        """Violations are reported earliest first."""
        return (self.cycle, self.chip, self.location)

    @classmethod
    def unconsumed(
        cls, chip: int, port: int, cycle: int, flit: Flit, link: str, why: str
    ) -> Violation:
        """A vector arriving on `chip`'s `port` over `link` that no
        instruction takes; `why` ends the message, located at the send."""
        return cls(
            chip,
            cycle,
            f"link {link}",
            "unconsumed arrival",
            f'the vector chip {flit.origin} sent on channel "{flit.channel}" arrives on chip {chip} port {port} at cycle {cycle}, {why}',
            flit.sender.location,
        )


class SimulationError(LpuError):
    """A scheduled program that breaks the machine's rules; `violations`
    holds each one (just the first unless the run collected all), and
    `result` the finished run's account when it collected all."""

    def __init__(self, violations: Sequence[Violation], result: Any = None):
        self.violations = sorted(violations, key=lambda v: v.order)
        self.result = result
        if len(self.violations) == 1:
            message = str(self.violations[0])
        else:
            message = f"{len(self.violations)} schedule violations:\n" + "\n".join(
                str(v) for v in self.violations
            )
        super().__init__(message)

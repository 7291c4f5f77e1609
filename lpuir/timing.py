"""The machine's timing law, written once (docs/dialect.md "Streams, positions
and the timing law").

Every cycle the compiler plans and the simulator checks follows from these
rules: where a vector is on a stream, when an instruction acts, when SRAM and
MXM weights see its work, when a link delivers, and how long a program runs.
The scheduler, the simulator's planning and the network verifier call them;
the simulator's conflict checks are its own code, so they stay a second
opinion on the scheduler's decisions. Delays are the instruction's own
(`Instruction.result_delay`); everything else comes from the machine.
"""

from __future__ import annotations

from collections.abc import Sequence

from lpuir.machine import ChipSpec, LinkSpec


def diagonal(direction: str, position: int, cycle: int) -> int:
    """The diagonal a vector at (position, cycle) travels on: a vector put on
    an eastward stream at position p at cycle t is at p + k at t + k, so
    t - p stays the same (t + p westward)."""
    return cycle - position if direction == "E" else cycle + position


def cycle_on(direction: str, position: int, diag: int) -> int:
    """The cycle at which a vector on `diag` passes `position`."""
    return diag + position if direction == "E" else diag - position


def transit(delay: int, producer: int, consumer: int) -> int:
    """Cycles from a producer taking burst vector k to a consumer taking its
    result k: the producer's delay, then one cycle per position travelled."""
    return delay + abs(consumer - producer)


def result_cycle(issue: int, k: int, delay: int) -> int:
    """When burst vector k of an instruction issued at `issue` acts: its result
    is on the stream (or its ALU's output, or in SRAM for a write)."""
    return issue + k + delay


def last_act(issue: int, burst: int, delay: int) -> int:
    """The last cycle at which an instruction acts (its burst's last vector)."""
    return result_cycle(issue, burst - 1, delay)


def weights_ready(issue: int, rows: int, delay: int) -> int:
    """The first cycle a matmul may use the weights of an install issued at
    `issue` with `rows` rows per operand: the cycle after its last row is
    latched."""
    return last_act(issue, rows, delay) + 1


def write_after_read(read: int, write_delay: int) -> int:
    """The earliest cycle a write may take a vector that a read takes at
    `read`: its data must reach SRAM after the read has seen the old value."""
    return read - write_delay + 1


def arrival(depart: int, link: LinkSpec) -> int:
    """A vector put on a link at `depart` is at the other end at exactly this
    cycle: no buffer, no handshake."""
    return depart + link.latency


def link_free(depart: int, link: LinkSpec) -> int:
    """The first cycle after `depart` at which the link's sending direction
    can take another vector."""
    return depart + link.cycles_per_vector


def forward_departure(arriving: int, spec: ChipSpec) -> int:
    """A forward takes a vector as it arrives and puts it on its out port this
    many cycles later, without touching the streams."""
    return arriving + spec.delay_forward


def route_latency(links: Sequence[LinkSpec], spec: ChipSpec) -> int:
    """Cycles from a send to the receive at the end of a route through these
    links (a forward on every intermediate chip)."""
    t = 0
    for i, link in enumerate(links):
        t = arrival(forward_departure(t, spec) if i else t, link)
    return t


def epoch_boundary(cycle: int, epoch: int) -> int:
    """The first epoch boundary after `cycle` (where a deskew's wait ends)."""
    return (cycle // epoch + 1) * epoch


def deskew_delay(issue: int, epoch: int) -> int:
    """A deskew acts at the cycle before the next epoch boundary."""
    return epoch_boundary(issue, epoch) - 1 - issue


def program_length(last: int, spec: ChipSpec) -> int:
    """A chip's cycle count from the last cycle any of its instructions acts
    (0 for none): the superlane skew adds the time the last superlane lags."""
    return max(last, 0) + 1 + (spec.superlanes - 1) * spec.superlane_skew

"""A simulated run as Chrome trace events, for the Perfetto UI: one process per
chip; above its instructions, one track per tensor op (the location its
instructions carry: one event from its first instruction's issue to its last
act on that chip, as the simulator ran them); one track per functional unit
(a MEM instruction's is its base slice; its args list every byte-plane
slice) and per outgoing link, one complete event ("ph": "X") per instruction
and per vector on a link; time in microseconds at the chip's clock."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from lpuir.interpreter.sim_chip import ChipSim, Flit, Step, describe_value
from lpuir.machine import ChipSpec


@dataclass
class LinkEvent:
    """One vector put on a link by chip `chip`."""

    chip: int
    link: str
    depart: int
    arrival: int
    busy: int
    size: int
    flit: Flit


def _operands(step: Step) -> list[str]:
    op = step.op
    sources = dict(zip(op.stream_operands(), op.sources(), strict=True))
    return [
        describe_value(v) + (f"[{sources[v]}]" if v in sources else "")
        for v in op.operands
    ]


def _step_args(chip: ChipSim, step: Step) -> dict[str, Any]:
    op = step.op
    args: dict[str, Any] = {
        "cycle": step.cycle,
        "vectors": step.burst,
        "last_acts": step.acts,
        "location": step.location,
    }
    if op.operands:
        args["operands"] = _operands(step)
    if op.results:
        dst = getattr(op, "dst", None)
        args["result"] = describe_value(op.results[0]) + (
            f" -> {dst}" if dst is not None else ""
        )
    if step.tensor is not None:
        name = step.tensor.sym_name.data
        args["tensor"] = f"@{name}"
        args["slices"] = step.tensor.plane_slices(chip.spec, op.slice_group(chip.spec))  # type: ignore[attr-defined]
    return args


def chrome_trace(
    chips: Mapping[int, ChipSim], links: list[LinkEvent], spec: ChipSpec
) -> list[dict[str, Any]]:
    """The trace events of a run."""
    us = 1.0 / spec.clock_mhz
    events: list[dict[str, Any]] = []
    tracks: dict[tuple[int, str], int] = {}

    def tid(chip: int, track: str) -> int:
        if (chip, track) not in tracks:
            tracks[(chip, track)] = len(tracks) + 1
        return tracks[(chip, track)]

    for chip_id, chip in chips.items():
        events.append(
            {
                "ph": "M",
                "name": "process_name",
                "pid": chip_id,
                "tid": 0,
                "args": {"name": f"chip {chip_id}"},
            }
        )
        events += _op_events(chip_id, chip, us, tid)
        for step in chip.order:
            events.append(
                {
                    "name": step.mnemonic,
                    "cat": step.op.UNIT,
                    "ph": "X",
                    "pid": chip_id,
                    "tid": tid(chip_id, step.unit),
                    "ts": step.cycle * us,
                    "dur": step.busy * us,
                    "args": _step_args(chip, step),
                }
            )
    for e in links:
        args = {
            "channel": e.flit.channel,
            "from_chip": e.flit.origin,
            "depart": e.depart,
            "arrival": e.arrival,
            "bytes": e.size,
            "sender": e.flit.sender.location,
        }
        events.append(
            {
                "name": f'"{e.flit.channel}"',
                "cat": "link",
                "ph": "X",
                "pid": e.chip,
                "tid": tid(e.chip, f"link {e.link}"),
                "ts": e.depart * us,
                "dur": e.busy * us,
                "args": args,
            }
        )
    for (chip_id, track), number in sorted(
        tracks.items(), key=lambda kv: (kv[0][0], kv[0][1])
    ):
        events.append(
            {
                "ph": "M",
                "name": "thread_name",
                "pid": chip_id,
                "tid": number,
                "args": {"name": track},
            }
        )
        events.append(
            {
                "ph": "M",
                "name": "thread_sort_index",
                "pid": chip_id,
                "tid": number,
                "args": {"sort_index": number},
            }
        )
    return events


def _op_events(
    chip_id: int, chip: ChipSim, us: float, tid: Callable[[int, str], int]
) -> list[dict[str, Any]]:
    """One event per tensor op on the chip (its instructions' location),
    from the first issue to the last act of its instructions; its track is
    numbered before the chip's unit tracks, so it sorts above them."""
    spans: dict[str, list[int]] = {}
    for step in chip.order:
        span = spans.setdefault(step.location, [step.cycle, step.acts, 0])
        span[0], span[1] = min(span[0], step.cycle), max(span[1], step.acts)
        span[2] += 1
    return [
        {
            "name": location,
            "cat": "op",
            "ph": "X",
            "pid": chip_id,
            "tid": tid(chip_id, f"op {location}"),
            "ts": first * us,
            "dur": (last - first + 1) * us,
            "args": {
                "location": location,
                "first": first,
                "last": last,
                "instructions": count,
            },
        }
        for location, (first, last, count) in sorted(
            spans.items(), key=lambda kv: kv[1][0]
        )
    ]

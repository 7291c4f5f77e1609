"""The network as a whole: logical sends and receives pair up by channel,
scheduled ones meet at the link's other end at exactly the arrival cycle."""

from __future__ import annotations

from lpuir import timing
from lpuir.dialects.lpu.c2c import ForwardOp, RecvOp, SendOp
from lpuir.dialects.lpu.instruction import Instruction
from lpuir.dialects.lpu.structure import SystemOp, verify_error


def logical_pairs(system: SystemOp) -> list[tuple[SendOp, RecvOp]]:
    """The sends and receives of a logical network, paired: every send has one
    receive with the same (sender, receiver, channel) and type, the k-th receive
    of a channel taking its k-th send."""
    ops = [
        (chip.chip_id, op)
        for chip in system.chips
        for op in chip.instructions()
        if isinstance(op, SendOp | RecvOp)
    ]
    sends: dict[tuple[int, int, str], list[SendOp]] = {}
    for c, op in ops:
        if isinstance(op, SendOp):
            sends.setdefault((c, op.to.data, op.channel.data), []).append(op)
    pairs: list[tuple[SendOp, RecvOp]] = []
    for c, op in ops:
        if isinstance(op, RecvOp):
            queue = sends.get((op.sender.data, c, op.channel.data))
            if not queue:
                raise verify_error(
                    op,
                    f'chip {c} receives channel "{op.channel.data}" from chip {op.sender.data}, but chip {op.sender.data} sends nothing (more) on it to chip {c}',
                )
            send = queue.pop(0)
            if send.value.type != op.result.type:
                raise verify_error(
                    op,
                    f"receives {op.result.type}, but the send carries {send.value.type}",
                )
            pairs.append((send, op))
    for (a, b, ch), queue in sends.items():
        if queue:
            raise verify_error(
                queue[0],
                f'chip {a} sends channel "{ch}" to chip {b}, but chip {b} receives nothing on it',
            )
    return pairs


def verify_network(system: SystemOp) -> None:
    """One level for the whole network. Logical: every send has one receive with
    the same (sender, receiver, channel) and type, the k-th receive of a channel
    taking its k-th send. Scheduled: every vector put on a link (send or forward)
    arrives at the link's other end at exactly cycle + latency, where a receive or
    forward takes it; every receive or forward takes such an arrival; the path
    ends on the chip the send named."""
    ops = _network_ops(system)
    if not ops:
        return
    first_chip, first = ops[0]
    for c, op in ops:
        if op.is_scheduled != first.is_scheduled:
            level = {True: "scheduled", False: "logical"}
            raise verify_error(
                op,
                f"is {level[op.is_scheduled]} on chip {c}, but chip {first_chip}'s network is {level[first.is_scheduled]}: the sends, receives and forwards of a system are all of one level",
            )
    if not first.is_scheduled:
        logical_pairs(system)
        return
    routes(system)


def _network_ops(system: SystemOp) -> list[tuple[int, Instruction]]:
    return [
        (chip.chip_id, op)
        for chip in system.chips
        for op in chip.instructions()
        if isinstance(op, SendOp | RecvOp | ForwardOp)
    ]


def routes(system: SystemOp) -> list[tuple[int, SendOp, list[tuple[int, Instruction]]]]:
    """Every send of a scheduled network with the chip it is on and the
    (chip, instruction) that takes its vector at each link's end: forwards,
    then the receive; a verify error where a vector is not taken or taken
    wrongly, or a receive or forward takes nothing."""
    machine = system.machine.spec
    ops = _network_ops(system)
    # the receive or forward that takes a vector at (chip, port, cycle)
    takers: dict[tuple[int, int, int], Instruction] = {}
    for c, op in ops:
        port = (
            op.port
            if isinstance(op, RecvOp)
            else op.in_port
            if isinstance(op, ForwardOp)
            else None
        )
        if port is not None:
            assert op.cycle is not None
            key = (c, port.data, op.cycle.data)
            if key in takers:
                raise verify_error(
                    op,
                    f"chip {c} takes a second vector from port {port.data} at cycle {op.cycle.data}; a link delivers one",
                )
            takers[key] = op
    found: list[tuple[int, SendOp, list[tuple[int, Instruction]]]] = []
    for c, op in ops:
        if not isinstance(op, SendOp):
            continue
        assert op.cycle is not None and op.port is not None
        chip, port, cycle, hops = c, op.port.data, op.cycle.data, 0
        path: list[tuple[int, Instruction]] = []
        while True:
            link = machine.link_at(chip, port)
            assert link is not None  # ports were verified to have links
            peer, peer_port = link.peer(chip, port)
            arriving = timing.arrival(cycle, link)
            taker = takers.pop((peer, peer_port, arriving), None)
            if taker is None:
                raise verify_error(
                    op,
                    f'chip {c} sends channel "{op.channel.data}" at cycle {op.cycle.data}; it arrives on chip {peer} port {peer_port} at cycle {arriving} (link {chip}:{port}-{peer}:{peer_port}, latency {link.latency}) after {hops} forward(s), but nothing receives or forwards it there',
                )
            if taker.channel != op.channel:  # type: ignore[attr-defined]
                raise verify_error(
                    taker,
                    f'takes channel "{op.channel.data}" sent by chip {c}, but names channel "{taker.channel.data}"',
                )  # type: ignore[attr-defined]
            path.append((peer, taker))
            if isinstance(taker, RecvOp):
                if (taker.sender.data, peer) != (c, op.to.data):
                    raise verify_error(
                        taker,
                        f"receives the vector chip {c} sent to chip {op.to.data}, but names sender {taker.sender.data} on chip {peer}",
                    )
                if taker.result.type != op.value.type:
                    raise verify_error(
                        taker,
                        f"receives {taker.result.type}, but the send carries {op.value.type}",
                    )
                break
            assert isinstance(taker, ForwardOp) and taker.out_port is not None
            chip, port, cycle, hops = (
                peer,
                taker.out_port.data,
                timing.forward_departure(arriving, machine.chip),
                hops + 1,
            )
        found.append((c, op, path))
    for (chip, port, cycle), taker in takers.items():
        raise verify_error(
            taker,
            f"chip {chip} takes a vector from port {port} at cycle {cycle}, but no send or forward puts one on that link to arrive then",
        )
    return found

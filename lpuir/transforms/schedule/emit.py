"""Writing a solved `Problem` into the IR: every instruction's cycle,
placement and streams, the forwards on intermediate chips, the deskews, and
the system's static cycle count."""

from __future__ import annotations

from xdsl.dialects.builtin import ArrayAttr, IntAttr, StringAttr
from xdsl.ir import Attribute, SSAValue

from lpuir.dialects import lpu
from lpuir.dialects.lpu.structure import shared
from lpuir.transforms.schedule.problem import Group, Problem


def emit(problem: Problem) -> None:
    """Make the problem's logical system the scheduled program its solution
    says."""
    system = problem.system
    for group in problem.groups:
        _emit_group(system, group)
    if problem.deskew:
        for chip in list(system.chips):
            first = next(iter(chip.instructions()), None)
            deskew = lpu.DeskewOp(cycle=0)
            deskew.location = chip.location
            if first is None:
                chip.body.block.add_op(deskew)
            else:
                chip.body.block.insert_op_before(deskew, first)
    assert problem.static_cycles is not None
    system.static_cycles = IntAttr(problem.static_cycles)


def _emit_group(system: lpu.SystemOp, group: Group) -> None:
    for node in group.nodes:
        op = node.op
        assert node.cycle is not None
        op.properties["cycle"] = shared(IntAttr(node.cycle))
        if node.alu is not None:
            op.properties["alu"] = shared(IntAttr(node.alu))
        if op.UNIT == "SXM":
            op.properties["hemisphere"] = shared(StringAttr(node.hemisphere))
        if op.UNIT == "MXM":
            assert node.plane is not None
            op.properties["hemisphere"] = shared(StringAttr(node.hemisphere))
            op.properties["plane"] = shared(IntAttr(node.plane))
    for transfer in group.transfers:
        send, recv = transfer.send.op, transfer.recv.op
        assert isinstance(send, lpu.SendOp)
        send.properties["port"] = shared(IntAttr(transfer.route[0].port))
        recv.properties["port"] = shared(IntAttr(transfer.route[-1].peer_port))
        for chip, cycle, in_port, out_port in transfer.forwards:
            forward = lpu.ForwardOp(send.channel, in_port, out_port, cycle=cycle)
            forward.location = send.location
            chip_op(system, chip).body.block.add_op(forward)
    sources: dict[tuple[int, SSAValue], Attribute] = {}
    for edge in group.edges:
        if edge.chained:
            alu = edge.producer.alu
            assert alu is not None
            for consumer in edge.consumers:
                sources[(id(consumer.op), edge.value)] = shared(lpu.AluAttr(alu))
            continue
        assert edge.stream is not None
        stream = shared(lpu.StreamAttr((edge.stream, edge.direction)))
        edge.producer.op.properties["dst"] = stream
        for consumer in edge.consumers:
            sources[(id(consumer.op), edge.value)] = stream
    for node in group.nodes:
        operands = node.op.stream_operands()
        if operands:
            node.op.properties["srcs"] = shared(
                ArrayAttr([sources[(id(node.op), v)] for v in operands])
            )


def chip_op(system: lpu.SystemOp, chip_id: int) -> lpu.ChipOp:
    """A chip of the system, added (empty) when only forwards run on it."""
    chips = {c.chip_id: c for c in system.chips}
    if chip_id not in chips:
        later = [c for c in system.chips if c.chip_id > chip_id]
        chips[chip_id] = lpu.ChipOp(chip_id, [])
        if later:
            system.body.block.insert_op_before(chips[chip_id], later[0])
        else:
            system.body.block.add_op(chips[chip_id])
    return chips[chip_id]

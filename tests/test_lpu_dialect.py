"""The lpu dialect built from Python: ops, types and attributes, and the
verifier rules that text tests reach only with difficulty (or not at all)."""

from __future__ import annotations

from io import StringIO

import pytest
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    Float64Type,
    IntAttr,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    Signedness,
    StringAttr,
    SymbolRefAttr,
    TensorType,
    i32,
    i64,
)
from xdsl.ir import Attribute, Operation
from xdsl.utils.exceptions import VerifyException

from lpuir.diagnostics import LocatedVerifyException, LpuError, verify_located
from lpuir.dialects import lpu
from lpuir.frontend import parse_source
from lpuir.grammar.parser import parse_lpu
from lpuir.grammar.printer import print_lpu
from lpuir.machine import DELAY_KINDS

F32x4 = lpu.VectorType("f32", 4)


def _tensor(
    name: str, shape: list[int], element: str = "f32", **props: Attribute
) -> lpu.TensorOp:
    ttype = TensorType(lpu.ELEMENT_TYPES[element], shape)
    base: dict[str, Attribute] = {
        "sym_name": StringAttr(name),
        "type": ttype,
        "kind": StringAttr("scratch"),
    }
    return lpu.TensorOp.create(properties={**base, **props})


def _placed(
    name: str, shape: list[int], at: str, address: int, element: str = "f32"
) -> lpu.TensorOp:
    return _tensor(name, shape, element, slice=StringAttr(at), address=IntAttr(address))


def _read(
    tensor: str, vtype: lpu.VectorType, index: int = 0, **props: Attribute
) -> lpu.ReadOp:
    base = {"tensor": SymbolRefAttr(tensor), "index": IntAttr(index)}
    return lpu.ReadOp.create(properties={**base, **props}, result_types=[vtype])


def _sched(cycle: int, **props: Attribute) -> dict[str, Attribute]:
    return {"cycle": IntAttr(cycle), **props}


def _program(
    *chips: list[Operation], machine: lpu.SystemAttr | None = None
) -> ModuleOp:
    """A module holding one system whose chip i runs chips[i]."""
    system = lpu.SystemOp(
        machine or lpu.SystemAttr(), [lpu.ChipOp(i, ops) for i, ops in enumerate(chips)]
    )
    return ModuleOp([system])


def _error(module: ModuleOp) -> str:
    with pytest.raises(LpuError) as info:
        verify_located(module)
    return str(info.value)


def _text(module: ModuleOp) -> str:
    out = StringIO()
    print_lpu(module, out)
    return out.getvalue()


# ------------------------------------------------------------------ building


def test_build_a_scheduled_program_and_print_it() -> None:
    a, b, c = (
        _placed("a", [4, 320], "W4", 0),
        _placed("b", [4, 320], "E4", 0),
        _placed("c", [4, 320], "W12", 0),
    )
    ra = _read("a", F32x4, **_sched(0, dst=lpu.StreamAttr((0, "E"))))
    rb = _read("b", F32x4, **_sched(0, dst=lpu.StreamAttr((4, "W"))))
    srcs = ArrayAttr([lpu.StreamAttr((0, "E")), lpu.StreamAttr((4, "W"))])
    add = lpu.AddOp.create(
        operands=[ra.result, rb.result],
        result_types=[F32x4],
        properties=_sched(7, alu=IntAttr(0), srcs=srcs, dst=lpu.StreamAttr((8, "W"))),
    )
    ra.result.name_hint, rb.result.name_hint, add.result.name_hint = "a", "b", "c"
    write = lpu.WriteOp.create(
        operands=[add.result],
        properties=_sched(
            22,
            tensor=SymbolRefAttr("c"),
            index=IntAttr(0),
            srcs=ArrayAttr([lpu.StreamAttr((8, "W"))]),
        ),
    )
    module = _program([a, b, c, ra, rb, add, write])
    verify_located(module)
    assert _text(module) == (
        'system "tsp-v1"\n\nchip 0 {\n'
        "  tensor @a : 4x320xf32 scratch at W4 0\n"
        "  tensor @b : 4x320xf32 scratch at E4 0\n"
        "  tensor @c : 4x320xf32 scratch at W12 0\n"
        "  @0   %a = mem.read @a[0] -> S0E : f32[4]\n"
        "  @0   %b = mem.read @b[0] -> S4W : f32[4]\n"
        "  @7   %c = vxm.add %a[S0E], %b[S4W] alu 0 -> S8W : f32[4]\n"
        "  @22  mem.write %c[S8W] -> @c[0]\n"
        "}\n"
    )
    assert [op.is_scheduled for op in (ra, add, write)] == [True, True, True]
    assert add.stream_operands() == [ra.result, rb.result] and add.sources() == list(
        srcs.data
    )
    assert (add.burst, add.UNIT, add.DELAY) == (4, "VXM", "vxm")


def test_values_without_a_name_are_numbered_in_order() -> None:
    t = _tensor("t", [320])
    r1, r2 = _read("t", lpu.VectorType("f32")), _read("t", lpu.VectorType("f32"))
    r2.result.name_hint = "named"
    neg = lpu.NegOp.create(operands=[r1.result], result_types=[lpu.VectorType("f32")])
    text = _text(_program([t, r1, r2, neg]))
    assert (
        "  %0 = mem.read @t[0] : f32\n  %named = mem.read @t[0] : f32\n  %2 = vxm.neg %0 : f32\n"
        in text
    )


def test_instruction_tables() -> None:
    names = [cls.name for cls in lpu.INSTRUCTIONS]
    assert len(names) == len(set(names))
    registered = {op.name for op in lpu.LPU.operations}
    assert registered == {*names, "lpu.system", "lpu.chip", "lpu.tensor"}
    for cls in lpu.INSTRUCTIONS:
        assert cls.DELAY in ("", *DELAY_KINDS), cls.name
        defined = cls.get_irdl_definition()
        operand_names = {name for name, _ in defined.operands}
        assert set(cls.STREAM_OPERANDS) <= operand_names, cls.name
    assert lpu.ScatterOp.STREAM_OPERANDS == ("value", "indices")


# --------------------------------------------------------- types, attributes


def test_vector_type() -> None:
    t = lpu.VectorType("bf16", 3)
    assert (t.element, t.n, lpu.element_bytes(t.element)) == ("bf16", 3, 2)
    assert lpu.VectorType("i8") == lpu.VectorType(IntegerType(8), 1)
    with pytest.raises(VerifyException, match="at least one vector, not 0"):
        lpu.VectorType("f32", 0)
    assert lpu.VectorType(IntegerType(8, Signedness.UNSIGNED)).element == "ui8"
    assert lpu.element_bytes("i1") == 1
    with pytest.raises(VerifyException, match="unsigned integers, not si8"):
        lpu.VectorType(IntegerType(8, Signedness.SIGNED))
    with pytest.raises(VerifyException, match="not f64"):
        lpu.VectorType(Float64Type())


def test_weights_type() -> None:
    assert lpu.WeightsType(lpu.ELEMENT_TYPES["bf16"]).element == "bf16"
    with pytest.raises(
        VerifyException, match="MXM weights are i8, f16 or bf16, not i16"
    ):
        lpu.WeightsType(lpu.ELEMENT_TYPES["i16"])


def test_stream_and_alu_attributes() -> None:
    s = lpu.StreamAttr((30, "W"))
    assert (s.index, s.direction, str(s)) == (30, "W", "S30W")
    assert lpu.AluAttr(3).data == 3


def test_machine_attribute_errors_keep_the_machine_message() -> None:
    with pytest.raises(
        VerifyException, match=r"#lpu\.system: unknown system preset 'x'"
    ):
        lpu.SystemAttr("x")
    with pytest.raises(
        VerifyException, match=r"#lpu\.chip: unknown chip parameter 'y'"
    ):
        lpu.ChipAttr("tsp-v1", {"y": IntegerAttr(1, i64)})
    with pytest.raises(
        VerifyException,
        match="machine parameter 'delay_vxm' must be an integer or a string",
    ):
        lpu.ChipAttr("tsp-v1", {"delay_vxm": ArrayAttr([])})


def test_tensor_layout() -> None:
    assert lpu.tensor_layout(TensorType(i32, [2, 3, 640]), 320) == (6, 2)
    assert lpu.tensor_layout(TensorType(i32, [5]), 320) == (1, 1)
    assert lpu.tensor_layout(TensorType(i32, []), 320) == (1, 1)
    t = _tensor("t", [4, 200], "f16", row_lanes=IntAttr(160))
    assert t.elements_per_vector(320) == 160 and t.vector_count(320) == 8
    spec = lpu.SystemAttr().spec.chip
    assert _placed("p", [4], "E3", 0).plane_slices(spec) == ["E3", "E4", "E5", "E6"]


# ---------------------------------------------------------------- verifier


@pytest.mark.parametrize(
    ("index", "element", "ok"),
    [
        (28, "f32", True),
        (29, "f32", False),
        (30, "i16", True),
        (31, "bf16", False),
        (31, "i8", True),
        (-1, "i8", False),
    ],
)
def test_stream_width(index: int, element: str, ok: bool) -> None:
    t = _placed("t", [320], "W0", 0, element)
    read = _read(
        "t", lpu.VectorType(element), **_sched(0, dst=lpu.StreamAttr((index, "E")))
    )
    module = _program([t, read])
    if ok:
        verify_located(module)
    else:
        assert "per direction" in _error(module)


def test_stream_direction_is_east_or_west() -> None:
    t = _placed("t", [320], "W0", 0)
    read = _read("t", lpu.VectorType("f32"), **_sched(0, dst=lpu.StreamAttr((0, "N"))))
    assert _error(_program([t, read])).endswith(
        "'lpu.mem.read': stream direction must be E or W, not N"
    )


def test_the_chip_blames_the_instruction_not_itself() -> None:
    t = _tensor("t", [320])
    logical = _read("t", lpu.VectorType("f32"))
    scheduled = lpu.NotifyOp.create(properties=_sched(0))
    module = _program([t, scheduled, logical])
    with pytest.raises(LocatedVerifyException) as info:
        module.verify()
    assert info.value.op is logical
    assert _error(module).startswith("'lpu.mem.read' op `%0 = \"lpu.mem.read\"()")


def test_errors_in_program_order() -> None:
    """Within a chip the first broken instruction is the one reported."""
    t = _placed("t", [320], "W0", 0)
    first = lpu.NotifyOp.create(properties=_sched(-1))
    later = _read("t", lpu.VectorType("f32"), **_sched(0))
    assert "cycle -1 is negative" in _error(_program([t, first, later]))


def test_a_nop_without_a_cycle_in_a_scheduled_chip() -> None:
    ops: list[Operation] = [
        lpu.NotifyOp.create(properties=_sched(0)),
        lpu.NopOp.create(properties={"count": IntAttr(3)}),
    ]
    assert "a scheduled program states cycles; it has no nop" in _error(_program(ops))


def test_a_chip_holds_tensors_and_instructions_only() -> None:
    foreign = lpu.SystemOp(lpu.SystemAttr())
    message = _error(_program([foreign]))
    assert (
        "holds only lpu.tensor ops and LPU instructions, found 'lpu.system'" in message
    )


def test_verifier_uses_the_machine_parameters() -> None:
    """Lane maps, transposes and ALUs follow the chip of the system, not tsp-v1."""
    chip = lpu.ChipAttr(
        "tsp-v1",
        {
            "lanes": IntegerAttr(160, i64),
            "superlanes": IntegerAttr(5, i64),
            "vxm_alus": IntegerAttr(4, i64),
        },
    )
    machine = lpu.SystemAttr("tsp-v1", {"chip": chip})

    def sxm(cls: type[lpu.SxmOp], n: int = 32, **props: Attribute) -> ModuleOp:
        x = _read("t", lpu.VectorType("f32", n))
        op = cls.create(
            operands=[x.result], result_types=[x.result.type], properties=props
        )
        return _program([_tensor("t", [64, 160]), x, op], machine=machine)

    def lane_map(lanes: list[int]) -> DenseArrayBase:
        return DenseArrayBase.from_list(i32, lanes)

    verify_located(sxm(lpu.PermuteOp, map=lane_map(list(reversed(range(160))))))
    assert "permutation of the 160 lanes" in _error(
        sxm(lpu.PermuteOp, map=lane_map(list(range(320))))
    )
    verify_located(sxm(lpu.DistributeOp, map=lane_map(list(range(32)))))
    assert "0..31 for each of the 32 lanes" in _error(
        sxm(lpu.DistributeOp, map=lane_map(list(range(16))))
    )
    verify_located(sxm(lpu.TransposeOp))
    assert "multiple of 32 vectors, not 16" in _error(sxm(lpu.TransposeOp, n=16))
    t = _placed("t", [320], "W0", 0)
    r = _read("t", lpu.VectorType("f32"), **_sched(0, dst=lpu.StreamAttr((0, "E"))))
    neg = lpu.NegOp.create(
        operands=[r.result],
        result_types=[r.result.type],
        properties=_sched(
            5, alu=IntAttr(4), srcs=ArrayAttr([lpu.StreamAttr((0, "E"))])
        ),
    )
    assert "ALU 4 does not exist: the VXM has 4 per lane" in _error(
        _program([t, r, neg], machine=machine)
    )


def test_logical_channels_carry_vectors_in_order() -> None:
    """The k-th receive of a channel takes its k-th send, so the types must
    line up in that order."""

    def sender(*elements: str) -> list[Operation]:
        ops: list[Operation] = []
        for i, element in enumerate(elements):
            read = _read(f"t{i}", lpu.VectorType(element))
            send = lpu.SendOp.create(
                operands=[read.result],
                properties={"to": IntAttr(1), "channel": StringAttr("c")},
            )
            ops += [_tensor(f"t{i}", [320], element), read, send]
        return ops

    def receiver(*elements: str) -> list[Operation]:
        props = {"sender": IntAttr(0), "channel": StringAttr("c")}
        return [
            lpu.RecvOp.create(properties=props, result_types=[lpu.VectorType(e)])
            for e in elements
        ]

    node8 = lpu.SystemAttr("node8")
    verify_located(
        _program(sender("i32", "f32"), receiver("i32", "f32"), machine=node8)
    )
    message = _error(
        _program(sender("i32", "f32"), receiver("f32", "i32"), machine=node8)
    )
    assert "receives !lpu.vec<f32>, but the send carries !lpu.vec<i32>" in message
    message = _error(_program(sender("i32", "i32"), receiver("i32"), machine=node8))
    assert (
        'chip 0 sends channel "c" to chip 1, but chip 1 receives nothing on it'
        in message
    )


@pytest.mark.parametrize(("arrival", "ok"), [(300, True), (299, False), (301, False)])
def test_scheduled_pairing_on_an_explicit_link(arrival: int, ok: bool) -> None:
    machine = lpu.SystemAttr("explicit", {"links": StringAttr("0:3-1:12@300")})
    t = _placed("t", [320], "W0", 0)
    r = _read("t", lpu.VectorType("f32"), **_sched(0, dst=lpu.StreamAttr((0, "E"))))
    send = lpu.SendOp.create(
        operands=[r.result],
        properties=_sched(
            10,
            to=IntAttr(1),
            channel=StringAttr("c"),
            port=IntAttr(3),
            srcs=ArrayAttr([lpu.StreamAttr((0, "E"))]),
        ),
    )
    recv = lpu.RecvOp.create(
        properties=_sched(
            10 + arrival,
            sender=IntAttr(0),
            channel=StringAttr("c"),
            port=IntAttr(12),
            dst=lpu.StreamAttr((0, "W")),
        ),
        result_types=[lpu.VectorType("f32")],
    )
    module = _program([t, r, send], [recv], machine=machine)
    if ok:
        verify_located(module)
    else:
        assert (
            "it arrives on chip 1 port 12 at cycle 310 (link 0:3-1:12, latency 300)"
            in _error(module)
        )


def test_sram_overlap_is_half_open() -> None:
    """A tensor may start at the address where the previous one ends."""
    verify_located(
        _program([_placed("a", [2, 320], "W0", 0), _placed("b", [320], "W0", 2)])
    )
    assert "overlaps @a in slice W3" in _error(
        _program([_placed("a", [2, 320], "W0", 0), _placed("b", [320], "W3", 1)])
    )


def test_located_errors_point_at_the_offending_line() -> None:
    text = 'system "tsp-v1"\nchip 0 {\n  tensor @x : 320xf32 input 0\n  %a = mem.read @x[0] : i32\n}\n'
    with pytest.raises(
        LpuError, match=r"^p.lpu:4:3: error: 'lpu.mem.read': vector element type i32"
    ):
        verify_located(parse_lpu(text, "p.lpu"))


def test_a_nested_error_is_located_at_its_own_op() -> None:
    """When a nested op fails and its parent would fail too, the error and its
    position name the nested op (the one the verifier reported)."""
    mlir = '"lpu.system"() <{machine = #lpu.system<"tsp-v1">}> ({\n  "lpu.chip"() <{id = #builtin.int<3>}> ({\n  }) : () -> ()\n}) : () -> ()\n'
    message = _error(parse_source(mlir, "p.mlir"))
    assert message.startswith(
        "p.mlir:2:3: error: Region 'body' at position 0 expected a single block"
    )


def test_ops_built_while_sharing_share_equal_attributes_only() -> None:
    """lpu-compile builds its instructions inside `sharing`: one object per
    attribute value (vector indices, streams, vector types, tensor names),
    never two values that print differently (1 and True, 0.0 and -0.0)."""
    from xdsl.dialects.builtin import FloatAttr, f32

    from lpuir.dialects.lpu.structure import shared, sharing

    def reads() -> list[lpu.ReadOp]:
        return [lpu.ReadOp("w", i % 2, lpu.VectorType("i8", 2)) for i in range(4)]

    apart = reads()
    assert apart[0].index is not apart[2].index
    with sharing():
        together = reads()
        assert shared(IntAttr(True)) is not shared(IntAttr(1))
        assert shared(FloatAttr(0.0, f32)) is not shared(FloatAttr(-0.0, f32))
        streams = [shared(ArrayAttr([lpu.StreamAttr((3, d))])) for d in ("E", "W", "E")]
    assert together[0].index is together[2].index
    assert together[0].index is not together[1].index
    assert together[0].tensor is together[3].tensor
    assert together[0].result.type is together[1].result.type
    assert streams[0] is streams[2] and streams[0] is not streams[1]
    assert [str(op) for op in together] == [str(op) for op in apart]
    assert shared(IntAttr(5)) is not shared(IntAttr(5))  # only inside sharing

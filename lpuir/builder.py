"""Building LPU programs in Python, at the logical or the scheduled level.

The builder makes the same IR the .lpu parser makes: one `ChipBuilder` per
programmed chip, a method per instruction returning its result (an SSA
value). Give `cycle=` and the placement (`alu=`, `on=`, `port=`) and `dst=`
stream to schedule an instruction by hand, as GroqAPI components give each op
its `time=`; the stream an operand is taken from is where its producer put it
(or, for a VXM result with no `dst`, its ALU) unless `srcs=` says otherwise.
Every op is located at the line of the script that built it, so a verifier
error or a broken timing rule names that line. docs/api.md shows a kernel.
"""

from __future__ import annotations

import inspect
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from xdsl.dialects.builtin import (
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FileLineColLoc,
    IntAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    i32,
)
from xdsl.ir import Attribute, Operation, SSAValue

from lpuir.diagnostics import LpuError, verify_located
from lpuir.dialects import lpu
from lpuir.extensions import instruction_classes
from lpuir.machine import SystemSpec

_STREAM = re.compile(r"S(\d+)([EW])")
_ALU = re.compile(r"alu (\d+)")
_THIS_FILE = str(Path(__file__))

Element = str
"""An element type name: i8, i16, i32, f16, bf16 or f32."""


def caller_location(builder_file: str = _THIS_FILE) -> FileLineColLoc:
    """The position in the user's code that called into a builder (the first
    frame outside `builder_file`)."""
    frame = sys._getframe(1)
    while frame.f_back is not None and frame.f_code.co_filename == builder_file:
        frame = frame.f_back
    info = inspect.getframeinfo(frame, context=0)
    positions = info.positions
    column = positions.col_offset + 1 if positions and positions.col_offset else 1
    return FileLineColLoc(
        StringAttr(info.filename), IntAttr(info.lineno), IntAttr(column)
    )


def _where(loc: FileLineColLoc) -> str:
    return f"{loc.filename.data}:{loc.line.data}:{loc.column.data}"


def _stream(text: str, loc: FileLineColLoc) -> lpu.StreamAttr:
    m = _STREAM.fullmatch(text)
    if m is None:
        raise LpuError(
            f"{_where(loc)}: error: '{text}' is not a stream like S3E or S0W"
        )
    return lpu.StreamAttr((int(m.group(1)), m.group(2)))


def _source(text: str, loc: FileLineColLoc) -> lpu.Source:
    m = _ALU.fullmatch(text)
    return lpu.AluAttr(int(m.group(1))) if m else _stream(text, loc)


def _check_element(element: str, loc: FileLineColLoc) -> None:
    if element not in lpu.ELEMENT_TYPES:
        raise LpuError(
            f"{_where(loc)}: error: unknown element type '{element}' (known: {', '.join(lpu.ELEMENT_TYPES)})"
        )


def _vector_type(value: SSAValue) -> lpu.VectorType:
    assert isinstance(value.type, lpu.VectorType | lpu.WeightsType)
    return value.type  # type: ignore[return-value]


def _property(value: int | str | Sequence[int] | Attribute) -> Attribute:
    """A Python value as the property attribute the dialect uses for it."""
    if isinstance(value, Attribute):
        return value
    if isinstance(value, str):
        return StringAttr(value)
    if isinstance(value, int):
        return IntAttr(value)
    return DenseArrayBase.from_list(i32, list(value))


class ChipBuilder:
    """The program of one chip: its tensors, then its instructions in the order
    they are added. Get one with `ProgramBuilder.chip`."""

    def __init__(self, program: ProgramBuilder, chip_id: int):
        self.program = program
        self.chip_id = chip_id
        self.tensors: dict[str, lpu.TensorOp] = {}
        self.instructions: list[lpu.Instruction] = []
        self._values: set[SSAValue] = set()

    # ---------------------------------------------------------------- tensors

    def tensor(
        self,
        name: str,
        shape: Sequence[int],
        element: Element,
        kind: str,
        *,
        arg: int | None = None,
        at: tuple[str, int] | str | None = None,
        lanes: int | None = None,
        value: np.ndarray | None = None,
    ) -> lpu.TensorOp:
        """A tensor in this chip's SRAM (`lpu.tensor`); `at` is the base slice
        and address, `("W4", 0)`, or just the slice (address 0); `lanes` puts
        that many row elements in each vector."""
        loc = caller_location()
        if name in self.tensors:
            raise LpuError(
                f"{_where(loc)}: error: chip {self.chip_id} already has a tensor @{name}"
            )
        _check_element(element, loc)
        ttype = TensorType(lpu.ELEMENT_TYPES[element], list(shape))
        slice_name, address = (at, 0) if isinstance(at, str) else at or (None, None)
        op = lpu.TensorOp(
            name,
            ttype,
            kind,
            arg=arg,
            value=None
            if value is None
            else DenseIntOrFPElementsAttr.from_list(
                ttype, np.asarray(value).reshape(-1).tolist()
            ),
            row_lanes=lanes,
            slice=slice_name,
            address=address,
        )
        op.location = loc
        self.tensors[name] = op
        return op

    def input(
        self,
        name: str,
        shape: Sequence[int],
        element: Element,
        *,
        at: tuple[str, int] | str | None = None,
        lanes: int | None = None,
        arg: int | None = None,
    ) -> lpu.TensorOp:
        """An input tensor: argument `arg`, by default the next of the program."""
        return self.tensor(
            name,
            shape,
            element,
            "input",
            arg=self.program._arg("input", arg),
            at=at,
            lanes=lanes,
        )

    def output(
        self,
        name: str,
        shape: Sequence[int],
        element: Element,
        *,
        at: tuple[str, int] | str | None = None,
        lanes: int | None = None,
        arg: int | None = None,
    ) -> lpu.TensorOp:
        """An output tensor: result `arg`, by default the next of the program."""
        return self.tensor(
            name,
            shape,
            element,
            "output",
            arg=self.program._arg("output", arg),
            at=at,
            lanes=lanes,
        )

    def weight(
        self,
        name: str,
        value: np.ndarray,
        element: Element,
        *,
        at: tuple[str, int] | str | None = None,
        lanes: int | None = None,
    ) -> lpu.TensorOp:
        """A weight tensor holding `value` (its shape is the value's)."""
        return self.tensor(
            name, np.shape(value), element, "weight", at=at, lanes=lanes, value=value
        )

    def scratch(
        self,
        name: str,
        shape: Sequence[int],
        element: Element,
        *,
        at: tuple[str, int] | str | None = None,
        lanes: int | None = None,
    ) -> lpu.TensorOp:
        """A scratch tensor for intermediate values."""
        return self.tensor(name, shape, element, "scratch", at=at, lanes=lanes)

    def _tensor(self, tensor: lpu.TensorOp | str, loc: FileLineColLoc) -> lpu.TensorOp:
        name = tensor if isinstance(tensor, str) else tensor.sym_name.data
        if name not in self.tensors or (
            not isinstance(tensor, str) and self.tensors[name] is not tensor
        ):
            raise LpuError(
                f"{_where(loc)}: error: chip {self.chip_id} has no tensor @{name}"
            )
        return self.tensors[name]

    # ----------------------------------------------------------- instructions

    def instruction(
        self,
        cls: type[lpu.Instruction],
        operands: Sequence[SSAValue] = (),
        *,
        result: Attribute | None = None,
        cycle: int | None = None,
        srcs: Sequence[str] | None = None,
        dst: str | None = None,
        name: str | None = None,
        **properties: int | str | Sequence[int] | Attribute,
    ) -> SSAValue | None:
        """Any instruction class, extension instructions included: its
        operands, its result type (if it has a result), its properties by
        name, and at the scheduled level its `cycle`, placement properties and
        streams. The methods below build each of lpuir's instructions with
        its own constructor."""
        props = {k: _property(v) for k, v in properties.items() if v is not None}
        return self._add(
            cls,
            lambda: cls.create(
                operands=list(operands),
                properties=props,
                result_types=[result] if result is not None else [],
            ),
            operands,
            caller_location(),
            cycle=cycle,
            srcs=srcs,
            dst=dst,
            name=name,
        )

    def _add(
        self,
        cls: type[lpu.Instruction],
        make: Callable[[], lpu.Instruction],
        operands: Sequence[SSAValue],
        loc: FileLineColLoc,
        *,
        cycle: int | None = None,
        srcs: Sequence[str] | None = None,
        dst: str | None = None,
        name: str | None = None,
        **placement: int | str | None,
    ) -> SSAValue | None:
        """Add the instruction `make` builds from `operands`, with its
        placement, `cycle`, streams and result name; its result."""
        for value in operands:
            if value not in self._values:
                owner = getattr(value.owner, "name", "a block argument")
                raise LpuError(
                    f"{_where(loc)}: error: an operand of {cls.name} ({owner}) is not a value of chip {self.chip_id}; move values between chips with send and recv"
                )
        try:
            op = make()
        except (ValueError, TypeError) as e:
            raise LpuError(f"{_where(loc)}: error: {cls.name}: {e}") from None
        for key, value in placement.items():
            if value is not None:
                op.properties[key] = _property(value)
        if cycle is not None:
            op.properties["cycle"] = IntAttr(cycle)
        if dst is not None:
            op.properties["dst"] = _stream(dst, loc)
        op.location = loc
        if srcs is not None:
            op.properties["srcs"] = ArrayAttr([_source(s, loc) for s in srcs])
        elif cycle is not None and op.stream_operands():
            op.properties["srcs"] = ArrayAttr(
                [self._inferred_source(v, op, loc) for v in op.stream_operands()]
            )
        self.instructions.append(op)
        if not op.results:
            return None
        out = op.results[0]
        if name is not None and SSAValue.is_valid_name(name):
            out.name_hint = name
        self._values.add(out)
        return out

    def _inferred_source(
        self, value: SSAValue, op: Operation, loc: FileLineColLoc
    ) -> lpu.Source:
        """Where a scheduled operand comes from: its producer's stream, or the
        ALU of a VXM producer that put it on none."""
        producer = value.owner
        dst = getattr(producer, "dst", None)
        if dst is not None:
            return dst
        alu = getattr(producer, "alu", None)
        if isinstance(producer, lpu.VxmOp) and alu is not None:
            return lpu.AluAttr(alu.data)
        raise LpuError(
            f"{_where(loc)}: error: {op.name}: an operand's producer ({getattr(producer, 'name', 'none')}) puts it on no stream; give its producer dst= or this instruction srcs="
        )

    def read(
        self,
        tensor: lpu.TensorOp | str,
        index: int = 0,
        n: int = 1,
        *,
        step: int | None = None,
        cycle: int | None = None,
        dst: str | None = None,
        name: str | None = None,
    ) -> SSAValue:
        """`mem.read`: vectors index, index+step, ... (n of them) of a tensor."""
        loc = caller_location()
        t = self._tensor(tensor, loc)
        out = self._add(
            lpu.ReadOp,
            lambda: lpu.ReadOp(
                t.sym_name.data, index, lpu.VectorType(t.element, n), step=step
            ),
            (),
            loc,
            cycle=cycle,
            dst=dst,
            name=name or t.sym_name.data,
        )
        assert out is not None
        return out

    def write(
        self,
        value: SSAValue,
        tensor: lpu.TensorOp | str,
        index: int = 0,
        *,
        step: int | None = None,
        cycle: int | None = None,
        srcs: Sequence[str] | None = None,
    ) -> None:
        """`mem.write`: the burst into vectors index, index+step, ... of a tensor."""
        loc = caller_location()
        t = self._tensor(tensor, loc)
        self._add(
            lpu.WriteOp,
            lambda: lpu.WriteOp(value, t.sym_name.data, index, step=step),
            [value],
            loc,
            cycle=cycle,
            srcs=srcs,
        )

    def gather(
        self,
        tensor: lpu.TensorOp | str,
        indices: SSAValue,
        *,
        cycle: int | None = None,
        dst: str | None = None,
        srcs: Sequence[str] | None = None,
        name: str | None = None,
    ) -> SSAValue:
        """`mem.gather`: lane l of result k is lane l of vector indices_k[l]."""
        loc = caller_location()
        t = self._tensor(tensor, loc)
        result = lpu.VectorType(t.element, _vector_type(indices).n)
        out = self._add(
            lpu.GatherOp,
            lambda: lpu.GatherOp(t.sym_name.data, indices, result),
            [indices],
            loc,
            cycle=cycle,
            dst=dst,
            srcs=srcs,
            name=name,
        )
        assert out is not None
        return out

    def scatter(
        self,
        value: SSAValue,
        tensor: lpu.TensorOp | str,
        indices: SSAValue,
        *,
        cycle: int | None = None,
        srcs: Sequence[str] | None = None,
    ) -> None:
        """`mem.scatter`: lane l of value_k into lane l of vector indices_k[l]."""
        loc = caller_location()
        t = self._tensor(tensor, loc)
        self._add(
            lpu.ScatterOp,
            lambda: lpu.ScatterOp(value, t.sym_name.data, indices),
            [value, indices],
            loc,
            cycle=cycle,
            srcs=srcs,
        )

    def vxm(
        self,
        op: str | type[lpu.VxmOp],
        *operands: SSAValue,
        alu: int | None = None,
        cycle: int | None = None,
        dst: str | None = None,
        srcs: Sequence[str] | None = None,
        result: Element | None = None,
        predicate: str | None = None,
        name: str | None = None,
    ) -> SSAValue:
        """A VXM instruction by mnemonic (`"add"`, `"cmp"` with a `predicate`,
        an extension's) or class. The result has the first operand's type
        unless `result` names its element type (convert; cmp: i32 by default)."""
        loc = caller_location()
        cls = self._unit_class(op, "VXM", loc)
        first = _vector_type(operands[0]) if operands else None
        element = result or (
            "i32" if cls is lpu.CmpOp else first.element if first else "f32"
        )
        rt = lpu.VectorType(element, first.n if first else 1)
        arguments = {"predicate": predicate} if predicate is not None else {}
        out = self._add(
            cls,
            lambda: cls(*operands, result_type=rt, **arguments),
            operands,
            loc,
            cycle=cycle,
            dst=dst,
            srcs=srcs,
            name=name,
            alu=alu,
        )
        assert out is not None
        return out

    def _unit_class(
        self, op: str | type[lpu.Instruction], unit: str, loc: FileLineColLoc
    ) -> type[lpu.Instruction]:
        """A VXM or SXM instruction class given by its mnemonic without the
        unit (`"add"`, an extension's) or itself."""
        if not isinstance(op, str):
            return op
        prefix = f"{unit.lower()}."
        known = {
            name.removeprefix(prefix): cls
            for name, cls in instruction_classes().items()
            if unit == cls.UNIT and name.startswith(prefix)
        }
        if op not in known:
            raise LpuError(
                f"{_where(loc)}: error: unknown {unit} instruction '{op}' (known: {', '.join(sorted(known))})"
            )
        return known[op]

    def sxm(
        self,
        op: str | type[lpu.SxmOp],
        value: SSAValue,
        *,
        on: str | None = None,
        cycle: int | None = None,
        dst: str | None = None,
        srcs: Sequence[str] | None = None,
        amount: int | None = None,
        direction: str | None = None,
        map: Sequence[int] | None = None,
        name: str | None = None,
    ) -> SSAValue:
        """An SXM instruction by mnemonic (`"shift"` with `direction` and
        `amount`, `"rotate"`, `"permute"`/`"distribute"` with a lane `map`,
        `"transpose"`, an extension's) or class, on hemisphere `on` (W or E)."""
        loc = caller_location()
        cls = self._unit_class(op, "SXM", loc)
        given = {"direction": direction, "amount": amount, "map": map}
        arguments = {k: v for k, v in given.items() if v is not None}
        out = self._add(
            cls,
            lambda: cls(value, **arguments),
            [value],
            loc,
            cycle=cycle,
            dst=dst,
            srcs=srcs,
            name=name,
            hemisphere=on,
        )
        assert out is not None
        return out

    def _plane(self, on: str | None, loc: FileLineColLoc) -> dict[str, str | int]:
        if on is None:
            return {}
        hemisphere, _, plane = on.partition(".")
        if hemisphere not in ("W", "E") or not plane.isdigit():
            raise LpuError(
                f"{_where(loc)}: error: an MXM plane is like E.0 or W.1, not '{on}'"
            )
        return {"hemisphere": hemisphere, "plane": int(plane)}

    def install(
        self,
        *rows: SSAValue,
        on: str | None = None,
        cycle: int | None = None,
        srcs: Sequence[str] | None = None,
        name: str | None = None,
    ) -> SSAValue:
        """`mxm.install`: the rows (operand after operand) of a weight tile, on
        plane `on` (`"E.0"`)."""
        loc = caller_location()
        element = _vector_type(rows[0]).element if rows else "i8"
        weights = lpu.WeightsType(lpu.ELEMENT_TYPES[element])
        out = self._add(
            lpu.InstallOp,
            lambda: lpu.InstallOp(rows, weights),
            rows,
            loc,
            cycle=cycle,
            srcs=srcs,
            name=name,
            **self._plane(on, loc),
        )
        assert out is not None
        return out

    def matmul(
        self,
        weights: SSAValue,
        x: SSAValue,
        *,
        acc: SSAValue | None = None,
        on: str | None = None,
        cycle: int | None = None,
        dst: str | None = None,
        srcs: Sequence[str] | None = None,
        name: str | None = None,
    ) -> SSAValue:
        """`mxm.matmul`: each vector of x times the installed weights, plus the
        plane's accumulators holding `acc` if given."""
        loc = caller_location()
        _vector_type(x)
        out = self._add(
            lpu.MatmulOp,
            lambda: lpu.MatmulOp(weights, x, acc),
            [weights, x, *([acc] if acc is not None else [])],
            loc,
            cycle=cycle,
            dst=dst,
            srcs=srcs,
            name=name,
            **self._plane(on, loc),
        )
        assert out is not None
        return out

    def send(
        self,
        value: SSAValue,
        to: int,
        channel: str,
        *,
        port: int | None = None,
        cycle: int | None = None,
        srcs: Sequence[str] | None = None,
    ) -> None:
        """`c2c.send`: one vector towards chip `to` on `channel` (via `port`)."""
        self._add(
            lpu.SendOp,
            lambda: lpu.SendOp(value, to, channel),
            [value],
            caller_location(),
            cycle=cycle,
            srcs=srcs,
            port=port,
        )

    def recv(
        self,
        sender: int,
        channel: str,
        element: Element,
        *,
        port: int | None = None,
        cycle: int | None = None,
        dst: str | None = None,
        name: str | None = None,
    ) -> SSAValue:
        """`c2c.recv`: the vector chip `sender` sent on `channel`."""
        loc = caller_location()
        _check_element(element, loc)
        out = self._add(
            lpu.RecvOp,
            lambda: lpu.RecvOp(sender, channel, lpu.VectorType(element)),
            (),
            loc,
            cycle=cycle,
            dst=dst,
            name=name,
            port=port,
        )
        assert out is not None
        return out

    def forward(self, channel: str, in_port: int, out_port: int, *, cycle: int) -> None:
        """`c2c.forward`: the vector arriving on `in_port` at `cycle` leaves on
        `out_port` (scheduled level only)."""
        self._add(
            lpu.ForwardOp,
            lambda: lpu.ForwardOp(channel, in_port, out_port),
            (),
            caller_location(),
            cycle=cycle,
        )

    def deskew(self, *, cycle: int | None = None) -> None:
        """`c2c.deskew`: idle until the next epoch boundary."""
        self._add(lpu.DeskewOp, lpu.DeskewOp, (), caller_location(), cycle=cycle)

    def notify(self, *, cycle: int | None = None) -> None:
        """`icu.notify`: first half of the chip-wide barrier."""
        self._add(lpu.NotifyOp, lpu.NotifyOp, (), caller_location(), cycle=cycle)

    def sync(self, *, cycle: int | None = None) -> None:
        """`icu.sync`: second half of the chip-wide barrier."""
        self._add(lpu.SyncOp, lpu.SyncOp, (), caller_location(), cycle=cycle)

    def nop(self, count: int) -> None:
        """`icu.nop`: wait `count` cycles (logical level only)."""
        self._add(lpu.NopOp, lambda: lpu.NopOp(count), (), caller_location())


class ProgramBuilder:
    """An LPU program for a machine (a system preset or an `#lpu.system`, see
    `lpuir.system_attr`): `chip(i)` gives each chip's builder, `build()` the
    verified module."""

    def __init__(
        self,
        system: str | lpu.SystemAttr = "tsp-v1",
        *,
        static_cycles: int | None = None,
    ):
        self.machine = lpu.SystemAttr(system) if isinstance(system, str) else system
        self.static_cycles = static_cycles
        self._chips: dict[int, ChipBuilder] = {}
        self._next_arg = {"input": 0, "output": 0}
        self._built = False

    @property
    def spec(self) -> SystemSpec:
        """The machine's `SystemSpec` (its chip's delays are in `spec.chip`)."""
        return self.machine.spec

    def chip(self, chip_id: int = 0) -> ChipBuilder:
        """The builder of chip `chip_id`'s program (made on first use)."""
        if chip_id not in self._chips:
            self._chips[chip_id] = ChipBuilder(self, chip_id)
        return self._chips[chip_id]

    def _arg(self, kind: str, arg: int | None) -> int:
        """An input's or output's argument index: given, or the next one."""
        if arg is None:
            arg = self._next_arg[kind]
        self._next_arg[kind] = max(self._next_arg[kind], arg + 1)
        return arg

    def build(self, *, check: bool = True) -> ModuleOp:
        """The program as a verified module. A scheduled program is also run
        once on zeros (`lpuir.check_schedule`) unless `check` is false: a
        broken timing rule raises `SimulationError` listing every violation,
        each at the line that built the instruction."""
        if self._built:
            raise LpuError("this ProgramBuilder has built its module already")
        self._built = True
        chips = [
            lpu.ChipOp(c.chip_id, [*c.tensors.values(), *c.instructions])
            for c in sorted(self._chips.values(), key=lambda c: c.chip_id)
        ]
        system = lpu.SystemOp(self.machine, chips, self.static_cycles)
        module = ModuleOp([system])
        verify_located(module)
        if check and any(op.is_scheduled for c in chips for op in c.instructions()):
            from lpuir.api import check_schedule

            check_schedule(module)
        return module

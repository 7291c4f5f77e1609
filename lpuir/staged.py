"""A staged compile: lpu-compile of a partitioned function one stage at a
time, in worker processes, stitched into one scheduled LPU program.

lpu-compile holds every chip's program in one process, so a whole Llama
decode step takes the memory and time of all its layers together. The
`hybrid` strategy cuts the ops into one stage per group of chips; a stage
needs only its own ops and the few values that cross into it (the residual
stream). `compile_staged` partitions once (`CompilePass.partition`), cuts the
function into one function per stage (`cut`: a crossing value is a result of
the stage that makes it and an argument of each stage that takes it), lowers
each stage in a worker (`CompilePass.lower`, which keeps lpu-partition's
annotations), and stitches the scheduled stages (`stitch`): stage by stage,
the crossing values are moved by a logical transfer program that
lpu-schedule places (one `c2c.send`/`c2c.recv` per vector, from the producing
stage's output tensor to the taking stage's input tensor), then the stage's
chips are printed delayed (`chip_lines`) to start after everything earlier
on any chip it uses. Each block starts when its chips are free, so a stage
does not overlap the one before it as the whole compile may (weights it
could install early wait too): docs/compiler.md, "Many chips".
"""

from __future__ import annotations

import io
import math
import resource
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    IntAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
)
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue
from xdsl.printer import Printer

from lpuir import progress, timing
from lpuir.builder import ProgramBuilder
from lpuir.context import make_context
from lpuir.diagnostics import LpuError, op_location
from lpuir.dialects import lpu, tosa
from lpuir.dialects.lpu.structure import sharing
from lpuir.frontend import parse_source
from lpuir.grammar.printer import chip_lines, print_lpu, system_line
from lpuir.machine import SystemSpec
from lpuir.transforms.annotations import (
    CHIPS,
    WHOLE,
    chips_of,
    set_chips,
    weight_args,
)
from lpuir.transforms.compile import CompilePass
from lpuir.transforms.print_timing import act_span
from lpuir.transforms.schedule import schedule_system

_COPIED = (tosa.ConstOp, tosa.ConstShapeOp)
"""Ops each stage that uses them gets its own copy of (lpu-partition places
no constant)."""


@dataclass
class Stage:
    """One stage's function and what its arguments and results are in the
    whole function."""

    index: int
    """The group of chips (chip // group)."""
    text: str
    """The stage's tensor-level module, printed with its locations."""
    inputs: list[tuple[str, int]] = field(default_factory=list)
    """Per program input of the stage (its arguments that are not
    `{lpu.weight}`, numbered as lpu-vectorize numbers `input N`): ("arg", the
    whole program's input number) or ("value", a crossing value's number)."""
    outputs: list[tuple[list[int], int | None]] = field(default_factory=list)
    """Per result: the whole function's results it is, and the crossing
    value's number if later stages take it."""
    chips: list[int] = field(default_factory=list)
    """The chips its ops are on."""
    form: str = ""
    """The stage as its lowering sees it up to where it is (`_form`)."""


@dataclass
class Staged:
    """The stitched program (.lpu text) and what the compile took."""

    text: str
    cycles: int
    """The stitched program's static cycles."""
    chips: int
    """Chips with a program."""
    stage_cycles: list[int]
    """Each stage's own static cycles (compiled alone)."""
    worker_rss: list[int]
    """Peak resident memory (KiB) of the process that lowered each stage."""
    lowered_from: list[int]
    """Per stage, the stage whose lowering it is: itself, or an earlier
    stage of the same form, moved onto its chips (`_Lowered.move`)."""

    def module(self) -> ModuleOp:
        """The program parsed (a small one: a whole Llama step takes more
        memory as ops than as text)."""
        return parse_source(self.text, "staged.lpu")


def _stage_of(op: Operation, group: int) -> int:
    chips = chips_of(op)
    stages = {c // group for c in chips}
    if len(stages) != 1:
        raise LpuError(
            f"{op_location(op)}: error: staged compile: '{op.name}' runs on chips "
            f"{chips}, of more than one stage (groups of {group} chips)"
        )
    return stages.pop()


def cut(fn: func.FuncOp, group: int) -> tuple[list[Stage], list[SSAValue]]:
    """One function per stage of a partitioned function (the chips of its
    ops' `lpu.chips`, `group` to a stage), in stage order, and the values
    that cross from one stage to a later one (numbered as `Stage` refers to
    them)."""
    body = fn.body.block
    placed = [o for o in body.ops if not isinstance(o, (*_COPIED, func.ReturnOp))]
    stage_of = {o: _stage_of(o, group) for o in placed}
    returned = list(body.last_op.operands) if body.last_op else []
    crossing: dict[SSAValue, int] = {}
    for o in placed:
        for v in o.operands:
            owner = v.owner
            if owner not in stage_of:
                continue
            assert isinstance(owner, Operation)
            if stage_of[owner] > stage_of[o]:
                raise LpuError(
                    f"{op_location(o)}: error: staged compile: '{o.name}' (stage "
                    f"{stage_of[o]}) takes a value of a later stage ({stage_of[owner]}, "
                    f"'{owner.name}' at {op_location(owner)})"
                )
            if stage_of[owner] < stage_of[o]:
                crossing.setdefault(v, len(crossing))
    for v in returned:
        if v.owner not in stage_of:
            raise LpuError(
                f"{op_location(fn)}: error: staged compile: a result of "
                f"@{fn.sym_name.data} is not computed by any stage"
            )
    attrs = fn.arg_attrs.data if fn.arg_attrs is not None else None
    weights = weight_args(fn)
    input_number = {
        i: i - sum(1 for w in weights if w < i)
        for i in range(len(fn.args))
        if i not in weights
    }
    stages = []
    for index in sorted(set(stage_of.values())):
        ops = [o for o in placed if stage_of[o] == index]
        stage = Stage(index, "")
        block = Block()
        mapping: dict[SSAValue, SSAValue] = {}
        arg_attrs: list[DictionaryAttr] = []
        for o in ops:
            for v in o.operands:
                if v in mapping:
                    continue
                owner = v.owner
                if isinstance(owner, _COPIED):
                    copy = owner.clone()
                    block.add_op(copy)
                    mapping.update(zip(owner.results, copy.results, strict=True))
                    continue
                mapping[v] = block.insert_arg(v.type, len(block.args))
                if isinstance(v, BlockArgument):
                    if v.index in input_number:
                        stage.inputs.append(("arg", input_number[v.index]))
                    arg_attrs.append(attrs[v.index] if attrs else DictionaryAttr({}))
                elif stage_of.get(owner) != index:  # type: ignore[arg-type]
                    stage.inputs.append(("value", crossing[v]))
                    arg_attrs.append(DictionaryAttr({WHOLE: UnitAttr()}))
                    mapping[v] = _taken(block, mapping[v], o)
            block.add_op(o.clone(mapping))
            mapping.update(zip(o.results, block.last_op.results, strict=True))  # type: ignore[union-attr]
        results = [r for o in ops for r in o.results if r in crossing or r in returned]
        for r in results:
            whole = [i for i, v in enumerate(returned) if v is r]
            stage.outputs.append((whole, crossing.get(r)))
        block.add_op(func.ReturnOp(*(mapping[r] for r in results)))
        stage_fn = func.FuncOp(
            f"stage{index}",
            ([a.type for a in block.args], [r.type for r in results]),
            Region(block),
            arg_attrs=ArrayAttr(arg_attrs),
            res_attrs=ArrayAttr(
                [
                    DictionaryAttr({WHOLE: UnitAttr()} if r in crossing else {})
                    for r in results
                ]
            ),
        )
        stage_fn.location = fn.location
        out = io.StringIO()
        Printer(out, print_debuginfo=True).print_op(ModuleOp([stage_fn]))
        stage.text = out.getvalue()
        stage.chips = sorted({c for o in ops for c in chips_of(o)})
        stage.form = _form(stage_fn, stage.chips[0] // group * group)
        stages.append(stage)
    return stages, list(crossing)


def _form(stage_fn: func.FuncOp, base: int) -> str:
    """A stage function as its lowering sees it up to where it is: without
    locations or names (its own and its values'), its chips counted from
    `base`. Two stages of one form lower alike, moved by the difference of
    their bases, where the links they use have twins there (`_Lowered.move`)."""
    copy = stage_fn.clone()
    copy.sym_name = StringAttr("stage")
    for arg in copy.args:
        arg.name_hint = None
    for op in copy.walk():
        for result in op.results:
            result.name_hint = None
        if CHIPS in op.attributes:
            set_chips(op, [c - base for c in chips_of(op)])
    out = io.StringIO()
    Printer(out).print_op(ModuleOp([copy]))
    return out.getvalue()


def _taken(block: Block, arg: SSAValue, user: Operation) -> SSAValue:
    """A crossing value as its taking stage's ops see it: a copy
    (`tosa.identity`) on the chip of its first user there, so the stage's
    argument is one whole tensor on one chip, which a transfer fills vector
    by vector, and the stage's own lowering moves it on (as parts by heads,
    shards by columns at any offset, row chunks) as it would a value it
    computed (an argument used by column shards would be declared as input
    shards whose columns need not start at a vector)."""
    copy = tosa.IdentityOp(operands=[arg], result_types=[arg.type])
    copy.location = user.location
    set_chips(copy, chips_of(user)[:1])
    block.add_op(copy)
    return copy.results[0]


def lower_stage(text: str, name: str, options: CompilePass) -> tuple[str, int]:
    """A worker's job: one stage's module lowered (`CompilePass.lower`) as
    .lpu text, and the process's peak resident memory (KiB)."""
    module = parse_source(text, name)
    with sharing():
        options.lower(make_context(), module)
    out = io.StringIO()
    print_lpu(module, out)
    return out.getvalue(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def compile_staged(
    module: ModuleOp, options: CompilePass, jobs: int = 1, reuse: bool = True
) -> Staged:
    """lpu-compile (`options`) of `module`'s function, stage by stage, in
    `jobs` worker processes (in this one for jobs=1), stitched. With `reuse`,
    a stage of the same form as an earlier one (`_form`: a decoder layer's
    next copy in timing mode) takes that stage's lowering moved onto its
    chips (`_Lowered.move`) instead of its own."""
    if options.deskew:
        raise LpuError(
            "staged compile: deskew=true is not supported (a shifted stage's "
            "deskew would wait for another epoch boundary)"
        )
    options.partition(make_context(), module)
    fns = [o for o in module.ops if isinstance(o, func.FuncOp) and not o.is_declaration]
    if len(fns) != 1:
        raise LpuError(
            f"staged compile: the module needs exactly one function to compile after lpu-inline, found {len(fns)}"
        )
    stages, crossing = cut(fns[0], options.group)
    spec = lpu.SystemAttr.from_option(options.system).spec
    first: dict[str, int] = {}
    source = [first.setdefault(s.form, i) if reuse else i for i, s in enumerate(stages)]
    users = Counter(source)
    own = [i for i, j in enumerate(source) if i == j]
    cycles: list[int] = []
    rss: list[int] = []
    kept: dict[int, _Lowered] = {}
    """Lowered stages, as parsed, that later stages of their form still take
    (one program per form, moved from stage to stage: no copy, no reparse)."""

    def scheduled(lowered: Iterator[tuple[str, int]]) -> Iterator[_Lowered]:
        """Each stage's program as its worker hands it over (or as an earlier
        stage of its form gave it, moved), parsed one at a time (the
        stitcher keeps its text, not its ops)."""
        for i, stage in enumerate(stages):
            j = source[i]
            users[j] -= 1
            if i == j:
                text, kib = next(lowered)
                kept[j] = _Lowered.parse(text, kib, stage)
            low = kept[j] if users[j] else kept.pop(j)
            if i != j and not low.move(stage, spec):
                source[i] = i
                text, kib = lower_stage(stage.text, f"stage{stage.index}.mlir", options)
                low = _Lowered.parse(text, kib, stage)
            rss.append(low.kib)
            assert low.system.static_cycles is not None
            cycles.append(low.system.static_cycles.data)
            progress.update("staged compile", len(cycles), len(stages), "stages")
            yield low

    texts = [stages[i].text for i in own]
    names = [f"stage{stages[i].index}.mlir" for i in own]
    if jobs <= 1:
        stitched = stitch(
            stages, scheduled(map(lower_stage, texts, names, repeat(options))), crossing
        )
    else:
        with ProcessPoolExecutor(jobs) as pool:
            lowered = pool.map(lower_stage, texts, names, repeat(options))
            stitched = stitch(stages, scheduled(lowered), crossing)
    return Staged(
        stitched.text(), stitched.cycles, len(stitched.tensors), cycles, rss, source
    )


def _system(module: ModuleOp) -> lpu.SystemOp:
    return next(o for o in module.ops if isinstance(o, lpu.SystemOp))


_Spans = dict[lpu.ChipOp, tuple[int, int] | None]
"""Per chip of a scheduled program, its first instruction's cycle and its
last act (None without instructions)."""


def _spans(system: lpu.SystemOp) -> _Spans:
    """The times of a scheduled program's chips (one pass over its ops: the
    stitcher delays the chips, it does not change them)."""
    spec = system.machine.spec
    spans: _Spans = {}
    for chip in system.chips:
        instrs = list(chip.instructions())
        spans[chip] = (
            (
                min(op.cycle.data for op in instrs),  # type: ignore[union-attr]
                max(act_span(op, spec)[1] for op in instrs),
            )
            if instrs
            else None
        )
    return spans


@dataclass
class _Lowered:
    """A stage's lowered program as the stitcher takes it, and what later
    stages of its form need to take it in turn: it is moved from stage to
    stage in place (`move`), its times are kept (`spans`; the stitcher delays
    each chip as it prints it), and its tensors' properties as lowered
    (`_rebind` changes them for the stage that takes it)."""

    system: lpu.SystemOp
    kib: int
    """Peak resident memory of the process that lowered it."""
    on: Stage
    """The stage whose chips it is on."""
    spans: _Spans
    tensors: list[tuple[lpu.TensorOp, dict[str, Attribute]]]
    """Its tensors and their properties as lowered (`move` restores them)."""

    @staticmethod
    def parse(text: str, kib: int, stage: Stage) -> _Lowered:
        system = _system(parse_source(text, f"stage{stage.index}.lpu"))
        tensors = [
            (t, dict(t.properties)) for chip in system.chips for t in chip.tensors()
        ]
        return _Lowered(system, kib, stage, _spans(system), tensors)

    def move(self, stage: Stage, spec: SystemSpec) -> bool:
        """Move the program onto `stage`'s chips (chip ids and the peers of
        sends and receives; its tensors as lowered), if it is on its stage's
        own chips and every link between them has its twin, port for port
        and as fast, between the moved chips: then the moved program is the
        same computation under the same timing law. False (and nothing
        changed) if not."""
        offset = stage.chips[0] - self.on.chips[0]
        used = {c.chip_id for c in self.system.chips}
        if (
            not used <= set(self.on.chips)
            or max(used, default=0) + offset >= spec.chips
        ):
            return False
        for chip in used:
            for port in spec.ports_of(chip):
                link = spec.link_at(chip, port)
                assert link is not None
                peer = link.peer(chip, port)
                if peer[0] not in used:
                    continue
                twin = spec.link_at(chip + offset, port)
                if twin is None or (
                    twin.peer(chip + offset, port),
                    twin.latency,
                    twin.cycles_per_vector,
                    twin.kind,
                ) != (
                    (peer[0] + offset, peer[1]),
                    link.latency,
                    link.cycles_per_vector,
                    link.kind,
                ):
                    return False
        for chip in self.system.chips:
            chip.id = IntAttr(chip.chip_id + offset)
            for op in chip.instructions():
                if isinstance(op, lpu.SendOp):
                    op.to = IntAttr(op.to.data + offset)
                elif isinstance(op, lpu.RecvOp):
                    op.sender = IntAttr(op.sender.data + offset)
        for t, properties in self.tensors:
            t.properties.clear()
            t.properties.update(properties)
        self.on = stage
        return True


@dataclass(frozen=True)
class _Tensor:
    """What a transfer needs of a stage's input or output tensor (a copy:
    holding the op would keep its stage's whole program alive)."""

    chip: int
    name: str
    shape: tuple[int, ...]
    element: str
    vectors: int
    lanes: int
    """Elements of a row per vector."""
    at: tuple[str, int]
    lead: int | None
    cols: int | None
    chunk: tuple[int, ...] | None
    """`row_chunk` (q, r, b, lo, hi) of an input."""

    @staticmethod
    def of(chip: int, t: lpu.TensorOp, lanes: int) -> _Tensor:
        assert t.slice is not None and t.address is not None
        return _Tensor(
            chip,
            t.sym_name.data,
            tuple(t.type.get_shape()),
            t.element,
            t.vector_count(lanes),
            t.row_lanes.data if t.row_lanes is not None else lanes,
            (t.slice.data, t.address.data),
            t.lead.data if t.lead is not None else None,
            t.cols.data if t.cols is not None else None,
            tuple(t.row_chunk.get_values()) if t.row_chunk is not None else None,
        )

    def layout(self) -> str:
        shape = "x".join([*map(str, self.shape), self.element])
        lead = f" lead {self.lead}" if self.lead is not None else ""
        cols = f" cols {self.cols}" if self.cols is not None else ""
        rows = f" rows {' '.join(map(str, self.chunk))}" if self.chunk else ""
        where = f"lanes {self.lanes} on chip {self.chip}"
        return f"@{self.name} : {shape}{lead}{cols}{rows} {where}"

    def holds_like(self, src: _Tensor) -> bool:
        """Whether this whole tensor holds the elements of the whole tensor
        `src` in the same vectors (not another element, a part or shard, or
        other elements per vector), so vector v fills vector v. A taking
        stage declares a crossing value whole (`_taken`)."""
        last = self.shape[-1] if self.shape else 1
        per_row = -(-last // min(self.lanes, src.lanes))
        return (
            self.element == src.element
            and all(p is None for p in (self.lead, self.cols, self.chunk))
            and self.shape == src.shape
            and (self.lanes == src.lanes or last <= min(self.lanes, src.lanes))
            and per_row * math.prod(self.shape[:-1]) == self.vectors
        )

    def declare(self, program: ProgramBuilder) -> None:
        """The same tensor, at the same place, in a transfer program."""
        chip = program.chip(self.chip)
        if self.name not in chip.tensors:
            chip.tensor(
                self.name,
                self.shape,
                self.element,
                "scratch",
                at=self.at,
                lanes=self.lanes,  # type: ignore[arg-type]
            )


_Crossing = dict[int, list[_Tensor]]
"""Crossing value number -> the tensors that take (or give) it."""


@dataclass
class _Stitcher:
    """The stitched program so far, as .lpu lines per chip (a whole Llama
    step's ops would not fit in memory; its text does), and the cycle from
    which each chip is free for the next block."""

    machine: lpu.SystemAttr
    tensors: dict[int, list[str]] = field(default_factory=dict)
    instructions: dict[int, list[str]] = field(default_factory=dict)
    free: dict[int, int] = field(default_factory=dict)
    last: dict[int, int] = field(default_factory=dict)
    blocks: int = 0

    @property
    def spec(self) -> SystemSpec:
        return self.machine.spec

    def place(
        self, system: lpu.SystemOp, spans: _Spans, *, tensors: bool = True
    ) -> None:
        """Add a scheduled block's chips, delayed to start when every chip it
        uses is free (`spans`: its own times), to the program's lines
        (without their tensors for a transfer: it declares the stages'
        tensors again)."""
        spec = self.spec
        delay = max(
            [0, *(self.free.get(c.chip_id, 0) - s[0] for c, s in spans.items() if s)]
        )
        for chip in system.chips:
            chip_id = chip.chip_id
            declared, lines = chip_lines(chip, f"b{self.blocks}_", delay)
            self.tensors.setdefault(chip_id, []).extend(declared if tensors else ())
            self.instructions.setdefault(chip_id, []).extend(lines)
            span = spans[chip]
            if span is not None:
                self.last[chip_id] = max(self.last.get(chip_id, -1), span[1] + delay)
            if chip_id in self.last:
                # after its last act, and once its links are free again
                self.free[chip_id] = (
                    timing.program_length(self.last[chip_id], spec.chip)
                    + spec.cycles_per_vector
                )
        self.blocks += 1

    @property
    def cycles(self) -> int:
        return max(
            (timing.program_length(a, self.spec.chip) for a in self.last.values()),
            default=timing.program_length(0, self.spec.chip),
        )

    def text(self) -> str:
        out = [system_line(lpu.SystemOp(self.machine, [], self.cycles)), "\n"]
        for chip in sorted(self.tensors):
            out.append(f"\nchip {chip} {{\n")
            out.extend(f"  {line}\n" for line in self.tensors[chip])
            out.extend(f"  {line}\n" for line in self.instructions[chip])
            out.append("}\n")
        return "".join(out)


def _rebind(system: lpu.SystemOp, stage: Stage) -> tuple[_Crossing, _Crossing]:
    """Bind a stage's input and output tensors to the whole function's
    arguments and results; those of crossing values become scratch. The
    tensors taking and giving each crossing value."""
    takes: _Crossing = {}
    gives: _Crossing = {}
    lanes = system.machine.spec.chip.lanes
    for chip in system.chips:
        for t in chip.tensors():
            if t.arg is None:
                continue
            if t.kind.data == "input":
                what, n = stage.inputs[t.arg.data]
                if what == "arg":
                    t.arg = IntAttr(n)
                    continue
                takes.setdefault(n, []).append(_Tensor.of(chip.chip_id, t, lanes))
            else:
                whole, value = stage.outputs[t.arg.data]
                if value is not None:
                    gives.setdefault(value, []).append(
                        _Tensor.of(chip.chip_id, t, lanes)
                    )
                if len(whole) > 1:
                    raise LpuError(
                        f"staged compile: stage {stage.index} returns one value as results {whole}"
                    )
                if whole:
                    t.arg = IntAttr(whole[0])
                    continue
            t.kind = StringAttr("scratch")
            for name in ("arg", "lead", "cols", "row_chunk"):
                t.properties.pop(name, None)
    return takes, gives


def _transfers(
    machine: lpu.SystemAttr,
    takes: _Crossing,
    given: dict[int, _Tensor],
    crossing: Sequence[SSAValue],
) -> lpu.SystemOp | None:
    """The scheduled program moving each crossing value a stage takes from
    the tensor of the stage that gives it (one send and receive per vector),
    None when the stage takes none."""
    if not takes:
        return None
    program = ProgramBuilder(machine)
    for value, targets in takes.items():
        src = given[value]
        src.declare(program)
        for dst in targets:
            if not dst.holds_like(src):
                raise LpuError(
                    f"{op_location(crossing[value].owner)}: error: staged compile: this "  # type: ignore[arg-type]
                    f"value crosses from {src.layout()} to {dst.layout()}, another layout"
                )
            dst.declare(program)
            sender, receiver = program.chip(src.chip), program.chip(dst.chip)
            for v in range(dst.vectors):
                channel = f"x{value}_{dst.chip}_{v}"
                sender.send(sender.read(src.name, v), dst.chip, channel)
                got = receiver.recv(src.chip, channel, dst.element)  # type: ignore[arg-type]
                receiver.write(got, dst.name, v)
    system = _system(program.build())
    schedule_system(system)
    return system


def stitch(
    stages: Sequence[Stage],
    lowered: Iterable[_Lowered],
    crossing: Sequence[SSAValue],
) -> _Stitcher:
    """One scheduled program of the stages' scheduled programs (module
    docstring): each stage after the transfers of the values it takes, each
    transfer after the stage that gives them."""
    stitcher: _Stitcher | None = None
    given: dict[int, _Tensor] = {}
    for stage, low in zip(stages, lowered, strict=True):
        system = low.system
        stitcher = stitcher or _Stitcher(system.machine)
        takes, gives = _rebind(system, stage)
        transfer = _transfers(stitcher.machine, takes, given, crossing)
        if transfer is not None:
            stitcher.place(transfer, _spans(transfer), tensors=False)
        for value, sources in gives.items():
            src = sources[0]
            if len(sources) > 1 or src.lead is not None or src.cols is not None:
                raise LpuError(
                    f"{op_location(crossing[value].owner)}: error: staged compile: this value "  # type: ignore[arg-type]
                    f"leaves its stage in parts ({', '.join(t.layout() for t in sources)}); "
                    "only a value whole on one chip can cross"
                )
            given[value] = src
        stitcher.place(system, low.spans)
    assert stitcher is not None
    return stitcher

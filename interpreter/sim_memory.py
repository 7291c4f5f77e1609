"""Tensors in SRAM: their layout as vectors, the program's inputs and outputs,
and the simulator's SRAM over time.

A tensor's image is a (vectors, lanes) array in the numerics carrier of its
element type, laid out as docs/dialect.md "Tensor layout" says. Both the
simulator and the logical executor build images and read outputs here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import EllipsisType

import numpy as np

from lpuir import numerics
from lpuir.diagnostics import LpuError
from lpuir.dialects import lpu
from lpuir.types import describe_tensor


def _shape(tensor: lpu.TensorOp) -> tuple[int, ...]:
    return tuple(tensor.type.get_shape())


def _geometry(tensor: lpu.TensorOp, lanes: int) -> tuple[int, int, int, int]:
    """(rows, vectors per row, row elements per vector, row length), in the
    vectors' elements (an i64 row is twice as many i32 words)."""
    per_vector = tensor.elements_per_vector(lanes)
    stored = tensor.stored_type
    rows, per_row = lpu.tensor_layout(stored, per_vector)
    shape = tuple(stored.get_shape())
    return rows, per_row, per_vector, shape[-1] if shape else 1


def _words(value: np.ndarray, tensor: lpu.TensorOp) -> np.ndarray:
    """A value as its vectors' elements: i64 and ui64 as pairs of i32 words
    (low word first) along the last axis."""
    if tensor.holds not in lpu.WORD_PAIRS:
        return value
    shape = value.shape or (1,)
    rows = np.ascontiguousarray(value, dtype=np.int64).reshape(
        math.prod(shape[:-1]), shape[-1]
    )
    return rows.view(np.int32)


def to_vectors(value: np.ndarray, tensor: lpu.TensorOp, lanes: int) -> np.ndarray:
    """A tensor's SRAM image: element j of a row is lane j mod L of its vector
    j div L; lanes past L and past the row's end hold zero."""
    value = _words(value, tensor)
    rows, per_row, per_vector, cols = _geometry(tensor, lanes)
    padded = np.zeros((rows, per_row * per_vector), value.dtype)
    padded[:, :cols] = value.reshape(rows, cols)
    image = np.zeros((rows * per_row, lanes), value.dtype)
    image[:, :per_vector] = padded.reshape(rows * per_row, per_vector)
    return image


def from_vectors(image: np.ndarray, tensor: lpu.TensorOp, lanes: int) -> np.ndarray:
    """The tensor a (vectors, lanes) SRAM image holds (inverse of `to_vectors`)."""
    rows, per_row, per_vector, cols = _geometry(tensor, lanes)
    flat = np.ascontiguousarray(
        image[:, :per_vector].reshape(rows, per_row * per_vector)[:, :cols]
    )
    if tensor.holds in lpu.WORD_PAIRS:
        flat = flat.astype(np.int32).view(numerics.carrier(tensor.holds))
    return flat.reshape(_shape(tensor))


def _describe(tensor: lpu.TensorOp) -> str:
    return describe_tensor(_shape(tensor), tensor.holds)


@dataclass
class Argument:
    """One input or output of an LPU program: its shape and element type, and
    the tensors holding it (whole, or as column shards on several chips)."""

    arg: int
    shape: tuple[int, ...]
    element: str
    pieces: list[lpu.TensorOp]

    @property
    def description(self) -> str:
        return describe_tensor(self.shape, self.element)


def _spans(tensor: lpu.TensorOp) -> tuple[tuple[int, int], tuple[int, int]]:
    """The part of its argument a tensor holds: its spans of the leading axis
    (`lead`; the whole axis without it, one index below rank 2) and of the
    last axis (`cols`)."""
    shape = _shape(tensor)
    first = tensor.lead.data if tensor.lead is not None else 0
    col = tensor.cols.data if tensor.cols is not None else 0
    return (first, first + (shape[0] if len(shape) > 1 else 1)), (
        col,
        col + (shape[-1] if shape else 1),
    )


def _index(tensor: lpu.TensorOp) -> tuple[slice | EllipsisType, ...]:
    """Where a tensor's part sits in its argument, as a numpy index."""
    (first, end), (lo, hi) = _spans(tensor)
    cols = (Ellipsis, slice(lo, hi))
    return cols if tensor.lead is None else (slice(first, end), *cols)


def chunk_rows(tensor: lpu.TensorOp, k: int) -> np.ndarray:
    """The rows (second-to-last axis, of k) of its argument that an input or
    output stored as a row chunk (`row_chunk = [q, r, b, lo, hi]`) holds,
    in order."""
    assert tensor.row_chunk is not None
    q, r, b, lo, hi = (int(v) for v in tensor.row_chunk.get_values())
    rows = np.arange(lo, min(hi, k), dtype=np.int64)
    return rows[((rows - lo) % b) // r == q]


def _chunked_shape(ts: list[lpu.TensorOp], kind: str, arg: int) -> tuple[int, ...]:
    """The shape of an argument held as row chunks (of one or more parts of
    its K; with `lead`, of each part of its leading axis, as a KV cache cut
    by heads): each part's chunks hold exactly the rows their `row_chunk`s
    name, together each of its K rows once, and the parts hold every index
    of the leading axis."""
    first = _shape(ts[0])
    batched = len(first) > 2  # a leading axis other than the rows
    parts: dict[tuple[int, int], list[lpu.TensorOp]] = {}
    for t in ts:
        if (
            t.row_chunk is None
            or len(_shape(t)) != len(first)
            or _shape(t)[batched:-2] + _shape(t)[-1:] != first[batched:-2] + first[-1:]
        ):
            raise LpuError(
                f"{kind} {arg} is declared as {_describe(ts[0])} and as {_describe(t)}"
            )
        parts.setdefault(_spans(t)[0] if batched else (0, 1), []).append(t)
    ks = set()
    for chunks in parts.values():
        k = sum(_shape(t)[-2] for t in chunks)
        for t in chunks:
            if len(chunk_rows(t, k)) != _shape(t)[-2]:
                raise LpuError(
                    f"{kind} {arg}: row chunk @{t.sym_name.data} has {_shape(t)[-2]} rows, but its row_chunk names {len(chunk_rows(t, k))} of the {k}"
                )
        held = np.zeros(k, np.int64)
        for t in chunks:
            held[chunk_rows(t, k)] += 1
        if np.any(held != 1):
            row = int(np.flatnonzero(held != 1)[0])
            raise LpuError(
                f"{kind} {arg}: row {row} is held by {int(held[row])} of its row chunks"
            )
        ks.add(k)
    if len(ks) != 1:
        raise LpuError(
            f"{kind} {arg}: its parts' row chunks hold {sorted(ks)} rows, not one count"
        )
    if not batched:
        return (ks.pop(), first[-1])
    extent = max(end for _, end in parts)
    covered = np.zeros(extent, np.int64)
    for lo, end in parts:
        covered[lo:end] += 1
    if not covered.all():
        index = int(np.flatnonzero(covered == 0)[0])
        raise LpuError(
            f"{kind} {arg}: index {index} of the leading axis is held by none of its row chunks"
        )
    return (extent, *first[1:-2], ks.pop(), first[-1])


def program_arguments(system: lpu.SystemOp, kind: str) -> dict[int, Argument]:
    """The program's inputs or outputs by arg. A shard holds some columns
    (`cols`) and/or some indices of the leading axis (`lead`); an argument's
    shards agree in every other dimension and element type, an output's cover
    each element exactly once, an input's every element."""
    pieces: dict[int, list[lpu.TensorOp]] = {}
    for chip in sorted(system.chips, key=lambda c: c.chip_id):
        for t in chip.tensors():
            if t.kind.data == kind and t.arg is not None:
                pieces.setdefault(t.arg.data, []).append(t)
    found: dict[int, Argument] = {}
    for arg, ts in sorted(pieces.items()):
        first = ts[0]
        if any(t.row_chunk is not None for t in ts):
            found[arg] = Argument(arg, _chunked_shape(ts, kind, arg), first.element, ts)
            continue
        spans = [_spans(t) for t in ts]
        extent = max(lead[1] for lead, _ in spans)
        width = max(cols[1] for _, cols in spans)
        for t in ts:
            shape = _shape(t)
            if (
                shape[1:-1] != _shape(first)[1:-1]
                or len(shape) != len(_shape(first))
                or t.holds != first.holds
                or (t.lead is None and len(shape) > 1 and shape[0] != extent)
                or (t.cols is None and (shape[-1] if shape else 1) != width)
            ):
                raise LpuError(
                    f"{kind} {arg} is declared as {_describe(first)} and as {_describe(t)}"
                )
        # each element held once (outputs) or at least once (inputs), checked
        # on the grid of the parts' boundaries
        leads = sorted({0, *(b for lead, _ in spans for b in lead)})
        columns = sorted({0, *(b for _, cols in spans for b in cols)})
        covered = np.zeros((len(leads) - 1, len(columns) - 1), np.int64)
        for (first_lead, end_lead), (lo, hi) in spans:
            covered[
                leads.index(first_lead) : leads.index(end_lead),
                columns.index(lo) : columns.index(hi),
            ] += 1
        wrong = np.argwhere(covered == 0 if kind == "input" else covered != 1)
        if wrong.size:
            i, j = (int(v) for v in wrong[0])
            where = f"column {columns[j]}"
            if any(t.lead is not None for t in ts):
                where = f"index {leads[i]} of the leading axis, {where},"
            raise LpuError(
                f"{kind} {arg}: {where} is held by {int(covered[i, j])} of its shards (@{', @'.join(t.sym_name.data for t in ts)})"
            )
        shape = _shape(first)
        if shape:
            shape = (*shape[:-1], width)
        if len(shape) > 1:
            shape = (extent, *shape[1:])
        found[arg] = Argument(arg, shape, first.holds, ts)
    return found


def bind_inputs(
    system: lpu.SystemOp,
    inputs: Sequence[np.ndarray],
    declared: dict[int, Argument] | None = None,
) -> dict[int, np.ndarray]:
    """The inputs by arg, checked against the input tensors (`declared`, if
    already known): count, shape and carrier dtype (bf16 travels in float32
    holding bf16-exact values)."""
    declared = program_arguments(system, "input") if declared is None else declared
    check_count(declared, len(inputs))
    return {
        arg: bind_input(argument, inputs[arg])
        for arg, argument in sorted(declared.items())
    }


def check_count(declared: dict[int, Argument], given: int) -> None:
    """One input per declared argument, numbered 0..n-1."""
    if given != len(declared) or sorted(declared) != list(range(len(declared))):
        missing = [a for a in sorted(declared) if a >= given]
        detail = (
            f"; argument {missing[0]} ({declared[missing[0]].description}) is missing"
            if missing
            else ""
        )
        raise LpuError(
            f"the program takes {len(declared)} input(s) (args {sorted(declared)}), {given} given{detail}"
        )


def bind_input(argument: Argument, given: np.ndarray) -> np.ndarray:
    """One input, checked against its tensors: shape and carrier dtype."""
    value = np.asarray(given)
    what = f"input {argument.arg} (@{argument.pieces[0].sym_name.data}, {argument.description})"
    if value.shape != argument.shape:
        raise LpuError(f"{what}: given an array of shape {value.shape}")
    carrier = np.dtype(numerics.carrier(argument.element))
    if value.dtype != carrier:
        raise LpuError(
            f"{what}: given dtype {value.dtype}, but {argument.element} is carried in {carrier}"
        )
    try:
        return numerics.as_carrier(value, argument.element)
    except numerics.NumericsError as e:
        raise LpuError(f"{what}: {e}") from None


def initial_image(
    tensor: lpu.TensorOp, lanes: int, inputs: dict[int, np.ndarray]
) -> np.ndarray:
    """What a tensor's SRAM holds at cycle 0: its input, its weight value, or zero."""
    t = tensor.holds
    if tensor.kind.data == "input":
        assert tensor.arg is not None
        value = inputs[tensor.arg.data][_index(tensor)]
        if tensor.row_chunk is not None:
            value = value[..., chunk_rows(tensor, value.shape[-2]), :]
    elif tensor.value is not None:
        values = np.asarray(tensor.value.get_values())
        if t == "i1":  # MLIR reads a true i1 as -1
            values = values != 0
        value = numerics.as_carrier(
            np.broadcast_to(values, _shape(tensor))
            if values.size == 1
            else values.reshape(_shape(tensor)),
            t,
        )
    else:
        value = np.zeros(_shape(tensor), numerics.carrier(t))
    return to_vectors(value, tensor, lanes)


def assemble_outputs(
    system: lpu.SystemOp,
    read: Callable[[int, lpu.TensorOp], np.ndarray],
    declared: dict[int, Argument] | None = None,
) -> list[np.ndarray]:
    """The program's outputs by arg (`declared`, if already known), each put
    together from its tensors; `read(chip id, tensor)` gives what one of
    them holds at the end."""
    outputs = []
    declared = program_arguments(system, "output") if declared is None else declared
    for _, argument in sorted(declared.items()):
        value = np.zeros(argument.shape, numerics.carrier(argument.element))
        for tensor in argument.pieces:
            chip = tensor.parent_op()
            assert isinstance(chip, lpu.ChipOp)
            if tensor.row_chunk is None:
                value[_index(tensor)] = read(chip.chip_id, tensor)
            else:
                part = value[_index(tensor)]
                part[..., chunk_rows(tensor, part.shape[-2]), :] = read(
                    chip.chip_id, tensor
                )
        outputs.append(value)
    return outputs


TIME_SPAN = 1 << 40
"""Cycles are below this; (vector, cycle) pairs sort as vector * TIME_SPAN + cycle."""

END_OF_TIME = TIME_SPAN - 1


class WriteIndex:
    """One tensor's planned SRAM writes, for the simulator's plan.

    Every write is known before the run (its vectors and the cycles they
    become visible); its data arrive when the write is evaluated, which the
    simulator does in dependency order, not in cycle order. A load of vector
    v at cycle r sees the latest write of v visible at r (or the initial
    image), then lanes of scatters visible by r on top, so the result does
    not depend on the order in which writes were evaluated. Without scatters,
    which write each vector of a load comes from is known before the run
    (`fetch`).
    """

    def __init__(self) -> None:
        self._planned: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._keys = np.zeros(0, np.int64)
        self._vector = self._time = self._writer = self._k = self._keys
        self.scatter_times: dict[int, np.ndarray] = {}

    def plan_write(self, writer: int, vectors: np.ndarray, times: np.ndarray) -> None:
        """A write (id `writer`) of `vectors`, visible from `times`."""
        self._planned.append((writer, vectors, times))

    def plan_scatter(self, writer: int, times: np.ndarray) -> None:
        """A scatter; its lanes' vectors are known once it is evaluated."""
        self.scatter_times[writer] = times

    def freeze(self) -> None:
        """Index the planned writes by (vector, cycle)."""
        if not self._planned:
            return
        vector = np.concatenate([v for _, v, _ in self._planned])
        time = np.concatenate([t for _, _, t in self._planned])
        writer = np.concatenate(
            [np.full(v.size, w, np.int64) for w, v, _ in self._planned]
        )
        k = np.concatenate(
            [np.arange(v.size, dtype=np.int64) for _, v, _ in self._planned]
        )
        keys = vector * TIME_SPAN + time
        order = np.argsort(keys, kind="stable")
        self._keys, self._vector, self._time = keys[order], vector[order], time[order]
        self._writer, self._k = writer[order], k[order]

    def latest(
        self, vectors: np.ndarray, times: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Index of the latest planned write of each (vector, cycle), and
        whether there is one."""
        pos = np.searchsorted(self._keys, vectors * TIME_SPAN + times, side="right") - 1
        pos = np.maximum(pos, 0)
        hit = (
            (self._vector[pos] == vectors) & (self._time[pos] <= times)
            if self._keys.size
            else np.zeros(vectors.shape, bool)
        )
        return pos, hit

    def sources(self, vectors: np.ndarray, times: np.ndarray) -> set[int]:
        """The writes a load of whole vectors at `times` takes data from."""
        if not self._keys.size:
            found: set[int] = set()
        else:
            pos, hit = self.latest(vectors, times)
            found = {int(w) for w in np.unique(self._writer[pos[hit]])}
        last = int(times.max(initial=-1))
        return found | {
            w for w, t in self.scatter_times.items() if t.size and int(t[0]) <= last
        }

    def writers_until(self, cycle: int) -> set[int]:
        """Every write with a vector visible by `cycle` (a gather's addresses
        are known only when it runs, so it depends on all of them)."""
        found = {w for w, _, t in self._planned if t.size and int(t.min()) <= cycle}
        return found | {
            w for w, t in self.scatter_times.items() if t.size and int(t[0]) <= cycle
        }

    def fetch(self, vectors: np.ndarray, times: np.ndarray) -> Fetch | None:
        """Where a load of whole vectors finds each one, resolved now; None
        when scatters, whose lanes are known only at run time, may reach it."""
        last = int(times.max(initial=-1))
        if any(t.size and int(t[0]) <= last for t in self.scatter_times.values()):
            return None
        writer = np.full(vectors.shape, -1, np.int64)
        index = vectors
        if self._keys.size:
            pos, hit = self.latest(vectors, times)
            writer = np.where(hit, self._writer[pos], -1)
            index = np.where(hit, self._k[pos], vectors)
        return Fetch.of(writer, index)


def _rows(index: np.ndarray) -> np.ndarray | slice:
    """`index` as a slice when it is a run of consecutive rows (a view, no copy)."""
    first = int(index[0])
    if index.size == 1 or bool(np.all(np.diff(index) == 1)):
        return slice(first, first + index.size)
    return index


@dataclass(frozen=True)
class Fetch:
    """A whole-vector load resolved before the run: `parts` are (writer, its
    rows, the load's vectors they fill), writer -1 being the tensor's image at
    cycle 0; one part fills the whole load."""

    parts: tuple[tuple[int, np.ndarray | slice, np.ndarray | None], ...]
    n: int

    @staticmethod
    def of(writer: np.ndarray, index: np.ndarray) -> Fetch:
        ws = np.unique(writer)
        if ws.size == 1:
            return Fetch(((int(ws[0]), _rows(index), None),), writer.size)
        return Fetch(
            tuple((int(w), _rows(index[writer == w]), writer == w) for w in ws),
            writer.size,
        )

    @property
    def writers(self) -> set[int]:
        return {w for w, _, _ in self.parts if w >= 0}

    def take(self, data: TensorData) -> np.ndarray:
        """The loaded vectors: rows of the image and of evaluated writes."""
        if len(self.parts) == 1:
            w, rows, _ = self.parts[0]
            return (data.image if w < 0 else data.written[w])[rows]
        out = np.empty((self.n, data.image.shape[1]), data.image.dtype)
        for w, rows, where in self.parts:
            out[where] = (data.image if w < 0 else data.written[w])[rows]
        return out


class TensorData:
    """One tensor's SRAM in one run: its image at cycle 0 (never changed;
    made when first needed, by `make`), the data of every evaluated write and
    scatter, and its planned writes."""

    def __init__(self, index: WriteIndex, make: Callable[[], np.ndarray]):
        self.index = index
        self.make = make
        self._image: np.ndarray | None = None
        self.written: dict[int, np.ndarray] = {}
        self.scattered: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    @property
    def image(self) -> np.ndarray:
        if self._image is None:
            self._image = self.make()
        return self._image

    def release(self) -> None:
        """Forget everything once nothing will read the tensor again."""
        self._image = None
        self.written.clear()
        self.scattered.clear()

    def set_scatter(self, writer: int, vectors: np.ndarray, data: np.ndarray) -> None:
        """An evaluated scatter: lane l of `data[k]` goes to vector
        `vectors[k, l]` (-1: nowhere) at its planned cycle."""
        self.scattered[writer] = (vectors, data)

    def load(self, vectors: np.ndarray, times: np.ndarray) -> np.ndarray:
        """What the SRAM holds: `vectors` (n,) gives whole vectors, (n, lanes)
        one vector per lane (a gather); vector k is read at `times[k]`."""
        index = self.index
        per_lane = vectors.ndim == 2
        lanes = self.image.shape[1]
        columns = np.broadcast_to(np.arange(lanes), vectors.shape) if per_lane else None
        out = self.image[vectors, columns] if per_lane else self.image[vectors]
        at = np.broadcast_to(times[:, None], vectors.shape) if per_lane else times
        seen = np.full(vectors.shape, -1, np.int64)
        if index._keys.size:
            pos, hit = index.latest(vectors, at)
            writer = index._writer[pos]
            for w in np.unique(writer[hit]):
                chosen = hit & (writer == w)
                ks = index._k[pos[chosen]]
                data = self.written[int(w)]
                out[chosen] = (
                    data[ks, columns[chosen]] if columns is not None else data[ks]
                )
            seen = np.where(hit, index._time[pos], -1)
        if self.scattered:
            out = self._apply_scatters(
                out,
                vectors if per_lane else vectors[:, None],
                times,
                seen if per_lane else seen[:, None],
            )
        return out

    def _apply_scatters(
        self, out: np.ndarray, vectors: np.ndarray, times: np.ndarray, seen: np.ndarray
    ) -> np.ndarray:
        """Scatter lanes newer than what the load found, in cycle order."""
        out = np.array(np.broadcast_to(out, (out.shape[0], self.image.shape[1])))
        seen = np.array(np.broadcast_to(seen, out.shape))
        events = sorted(
            (int(t), w, k)
            for w in self.scattered
            for k, t in enumerate(self.index.scatter_times[w])
        )
        last = int(times.max(initial=-1))
        for t, w, k in events:
            if t > last:
                break
            lanes_vectors, data = self.scattered[w]
            hit = (
                (lanes_vectors[k][None, :] == vectors)
                & (t <= times[:, None])
                & (t > seen)
            )
            out[hit] = np.broadcast_to(data[k], out.shape)[hit]
            seen[hit] = t
        return out

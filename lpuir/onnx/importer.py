"""The ONNX importer's driver: load, check, bind shapes, convert the opset,
infer shapes, then convert node by node into one `func.func` (TensorBuilder).

Every ONNX value is either an SSA value or, when the importer knows it
(initializers, `Constant`, `Shape` of a static tensor, integer arithmetic on
those), a `Known` array. Ops that need a compile-time operand (Reshape's
shape, Slice's bounds, reduction axes, ...) read it from a `Known`; a node
whose inputs are all known and whose outputs are integers or booleans (shape
arithmetic) is folded: converted into a scratch function and run on the
reference interpreter, so a folded value is exactly what the program would
compute. Float values are never folded: the program computes them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference, version_converter
from xdsl.dialects.builtin import (
    FileLineColLoc,
    Float64Type,
    IntAttr,
    ModuleOp,
    NameLoc,
    StringAttr,
)
from xdsl.ir import SSAValue

from lpuir import numerics
from lpuir.diagnostics import LpuError, verify_located
from lpuir.tensor_builder import (
    BuilderError,
    Shape,
    TensorBuilder,
    element_of,
    shape_of,
)
from lpuir.types import element_type_name

TARGET_OPSET = 28
"""Every model is converted to this ai.onnx opset (onnx.version_converter)
before import, so each op is converted at one version of its definition."""

FOLD_LIMIT = 1 << 16
"""Integer or boolean results up to this many elements are folded at import."""

ELEMENT_TYPES: dict[int, str] = {
    onnx.TensorProto.FLOAT: "f32",
    onnx.TensorProto.FLOAT16: "f16",
    onnx.TensorProto.BFLOAT16: "bf16",
    onnx.TensorProto.DOUBLE: "f64",
    onnx.TensorProto.BOOL: "i1",
    onnx.TensorProto.INT8: "i8",
    onnx.TensorProto.INT16: "i16",
    onnx.TensorProto.INT32: "i32",
    onnx.TensorProto.INT64: "i64",
    onnx.TensorProto.UINT8: "ui8",
    onnx.TensorProto.UINT16: "ui16",
    onnx.TensorProto.UINT32: "ui32",
    onnx.TensorProto.UINT64: "ui64",
    onnx.TensorProto.FLOAT8E4M3FN: "f8E4M3FN",
    onnx.TensorProto.FLOAT8E4M3FNUZ: "f8E4M3FNUZ",
    onnx.TensorProto.FLOAT8E5M2: "f8E5M2",
    onnx.TensorProto.FLOAT8E5M2FNUZ: "f8E5M2FNUZ",
    onnx.TensorProto.FLOAT8E8M0: "f8E8M0FNU",
    onnx.TensorProto.FLOAT6E2M3: "f6E2M3FN",
    onnx.TensorProto.FLOAT6E3M2: "f6E3M2FN",
    onnx.TensorProto.FLOAT4E2M1: "f4E2M1FN",
    onnx.TensorProto.INT4: "i4",
    onnx.TensorProto.UINT4: "ui4",
    onnx.TensorProto.INT2: "i2",
    onnx.TensorProto.UINT2: "ui2",
}
"""ONNX element types and the lpuir element types they import as (f64 is
held in the IR; the numerics spec does not compute it)."""


class OnnxImportError(LpuError):
    """A model the importer cannot take, located at the model or the node."""


class NotKnownError(OnnxImportError):
    """An op needs the value of `value` (an ONNX value name) at import: a
    shape, axes or bounds that the model computes at run time or takes as
    an input (`import_onnx(..., input_values=...)` binds an input)."""

    def __init__(self, message: str, value: str):
        super().__init__(message)
        self.value = value


def element_name(onnx_type: int, where: str) -> str:
    """The lpuir element type of an ONNX element type, or a located error."""
    if onnx_type not in ELEMENT_TYPES:
        name = onnx.TensorProto.DataType.Name(onnx_type)
        raise OnnxImportError(
            f"{where}: error: element type {name} is not supported (supported: "
            + ", ".join(onnx.TensorProto.DataType.Name(t) for t in ELEMENT_TYPES)
            + ")"
        )
    return ELEMENT_TYPES[onnx_type]


def carrier(element: str) -> np.dtype:
    """The numpy dtype a known value of `element` is held in."""
    return np.dtype(np.float64) if element == "f64" else numerics.carrier(element)


@dataclass(frozen=True)
class Known:
    """A value the importer knows: an array in its element type's carrier."""

    array: np.ndarray
    element: str

    @staticmethod
    def of(values: object, element: str) -> Known:
        """Values as `element` (floats rounded to nearest even)."""
        array = np.asarray(values)
        if element != "f64" and numerics.is_float(element):
            return Known(
                numerics.round_float(array.astype(np.float64), element), element
            )
        return Known(array.astype(carrier(element)), element)


Value = SSAValue | Known
"""An ONNX value during import."""


def tensor_array(tensor: onnx.TensorProto, where: str) -> Known:
    """An ONNX tensor (initializer or attribute) as a known array."""
    element = element_name(tensor.data_type, where)
    try:
        array = numpy_helper.to_array(tensor)
    except Exception as e:  # onnx raises several types for unreadable data
        raise OnnxImportError(
            f"{where}: error: cannot read tensor '{tensor.name}': {e}"
        ) from None
    if element == "bf16":
        array = array.astype(np.float32)
    return Known(np.asarray(array, carrier(element)), element)


# ------------------------------------------------------------------ per node


class NodeContext:
    """What a converter sees of one node: its inputs (as SSA values or known
    arrays), attributes and inferred output types, and the builder."""

    def __init__(
        self,
        importer: Importer,
        node: onnx.NodeProto,
        where: str,
        builder: TensorBuilder,
    ):
        self.importer = importer
        self.node = node
        self.where = where
        self.b = builder
        self.attributes = {a.name: a for a in node.attribute}

    def error(self, message: str) -> OnnxImportError:
        return OnnxImportError(f"{self.where}: error: {message}")

    # ---------------------------------------------------------- attributes

    def attr(self, name: str, default: object = None) -> object:
        """An attribute's value (strings decoded, tensors as `Known`)."""
        attribute = self.attributes.get(name)
        if attribute is None:
            return default
        if attribute.type == onnx.AttributeProto.TENSOR:
            return tensor_array(attribute.t, self.where)
        value = onnx.helper.get_attribute_value(attribute)
        if isinstance(value, bytes):
            return value.decode()
        if isinstance(value, list) and value and isinstance(value[0], bytes):
            return [v.decode() for v in value]
        return value

    def int_attr(self, name: str, default: int) -> int:
        return int(self.attr(name, default))  # type: ignore[arg-type]

    def float_attr(self, name: str, default: float) -> float:
        return float(self.attr(name, default))  # type: ignore[arg-type]

    # -------------------------------------------------------------- inputs

    @property
    def input_count(self) -> int:
        return len(self.node.input)

    def has(self, index: int) -> bool:
        return index < len(self.node.input) and self.node.input[index] != ""

    def value(self, index: int) -> Value:
        return self.importer.values[self.node.input[index]]

    def input(self, index: int) -> SSAValue:
        """Input `index` as an SSA value (a known one becomes a constant)."""
        value = self.value(index)
        if isinstance(value, Known):
            return self.b.constant(value.array, value.element)
        return value

    def inputs(self) -> list[SSAValue]:
        """The present inputs, as SSA values."""
        return [self.input(i) for i in range(self.input_count) if self.has(i)]

    def known(self, index: int) -> Known | None:
        """Input `index` if the importer knows its value."""
        value = self.value(index) if self.has(index) else None
        return value if isinstance(value, Known) else None

    def constant(self, index: int, what: str) -> np.ndarray:
        """The value of an input the op needs at compile time."""
        known = self.known(index)
        if known is None:
            name = self.node.input[index] if self.has(index) else ""
            raise NotKnownError(
                f"{self.where}: error: input {index} ({what}, '{name}') must be known at import (a constant, an initializer or computed from shapes; bind a model input with input_values); lpuir compiles static shapes",
                name,
            )
        return known.array

    def shape(self, index: int) -> Shape:
        value = self.value(index)
        return value.array.shape if isinstance(value, Known) else shape_of(value)

    def element(self, index: int) -> str:
        value = self.value(index)
        if isinstance(value, Known):
            return value.element
        return type_name(element_of(value))

    def output_element(self, index: int = 0) -> str | None:
        """The element type shape inference gave output `index`."""
        inferred = self.importer.inferred.get(self.node.output[index])
        return None if inferred is None else inferred[1]


def type_name(element: object) -> str:
    """The lpuir name of an xDSL element type (f64 included)."""
    if isinstance(element, Float64Type):
        return "f64"
    return element_type_name(element)  # type: ignore[arg-type]


Converter = Callable[[NodeContext], Sequence[Value | None]]
"""Converts one node: its outputs, in order (None for an absent optional one)."""

CONVERTERS: dict[str, Converter] = {}


def converts(*op_types: str) -> Callable[[Converter], Converter]:
    """Register a converter for ONNX op types (the default ai.onnx domain)."""

    def register(converter: Converter) -> Converter:
        for op_type in op_types:
            CONVERTERS[op_type] = converter
        return converter

    return register


# ------------------------------------------------------------------ the model


def _identifier(name: str) -> str:
    """An ONNX name as an SSA name hint or symbol (MLIR identifier characters)."""
    text = re.sub(r"[^A-Za-z0-9_$.]", "_", name)
    return text if text and not text[0].isdigit() else f"_{text}"


def _dims(shape: Sequence[int | str | None]) -> str:
    return "x".join("?" if d is None else str(d) for d in shape) or "scalar"


class Importer:
    """One model's import; `run` gives the module."""

    def __init__(self, model: onnx.ModelProto, source: str, weights_as_arguments: bool):
        self.model = model
        self.source = source
        self.weights_as_arguments = weights_as_arguments
        self.graph = model.graph
        self.b = TensorBuilder(_identifier(self.graph.name or "main"))
        self.values: dict[str, Value] = {}
        self.inferred: dict[str, tuple[tuple[int, ...] | None, str]] = {}
        for info in [*self.graph.input, *self.graph.value_info, *self.graph.output]:
            typed = _tensor_type(info)
            if typed is not None:
                self.inferred[info.name] = typed

    def run(self) -> ModuleOp:
        initializers = {t.name: t for t in self.graph.initializer}
        for info in self.graph.input:
            if info.name not in initializers:
                self.values[info.name] = self._argument(info)
        for tensor in self.graph.initializer:
            where = f"{self.source}: initializer '{tensor.name}'"
            known = tensor_array(tensor, where)
            if self.weights_as_arguments and _is_weight(known):
                self.values[tensor.name] = self.b.argument(
                    known.array.shape,
                    known.element,
                    _identifier(tensor.name),
                    weight=True,
                )
            else:
                self.values[tensor.name] = known
        for index, node in enumerate(self.graph.node):
            self._convert(index, node)
        results = []
        for info in self.graph.output:
            value = self.values[info.name]
            if isinstance(value, Known):
                with self.b.at(self._model_location()):
                    value = self.b.constant(value.array, value.element)
            results.append(value)
        with self.b.at(self._model_location()):
            module = self.b.module(results)
        verify_located(module)
        return module

    def _model_location(self) -> FileLineColLoc:
        return FileLineColLoc(StringAttr(self.source), IntAttr(0), IntAttr(0))

    def _argument(self, info: onnx.ValueInfoProto) -> SSAValue:
        where = f"{self.source}: input '{info.name}'"
        if not info.type.HasField("tensor_type"):
            raise OnnxImportError(f"{where}: error: only tensor inputs are supported")
        t = info.type.tensor_type
        element = element_name(t.elem_type, where)
        dims = [
            d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
            for d in t.shape.dim
        ]
        if not t.HasField("shape") or any(not isinstance(d, int) for d in dims):
            shape = (
                f"[{', '.join(map(str, dims))}]"
                if t.HasField("shape")
                else "of unknown rank"
            )
            raise OnnxImportError(
                f"{where}: error: the shape {shape} is not static; bind it with "
                f"--input-shape {info.name}=DIMS (input_shapes={{'{info.name}': (...)}} in Python)"
            )
        return self.b.argument(dims, element, _identifier(info.name))  # type: ignore[arg-type]

    def _location(self, index: int, node: onnx.NodeProto) -> NameLoc:
        name = node.name or f"#{index}"
        return NameLoc(
            StringAttr(f"{node.op_type} '{name}'"),
            FileLineColLoc(StringAttr(self.source), IntAttr(index + 1), IntAttr(1)),
        )

    def _convert(self, index: int, node: onnx.NodeProto) -> None:
        loc = self._location(index, node)
        where = f"{self.source}:{index + 1}:1 ({loc.desc.data})"
        converter = (
            CONVERTERS.get(node.op_type) if node.domain in ("", "ai.onnx") else None
        )
        if converter is None:
            domain = (
                f" of domain '{node.domain}'"
                if node.domain not in ("", "ai.onnx")
                else ""
            )
            raise OnnxImportError(
                f"{where}: error: ONNX op {node.op_type}{domain} is not supported by the importer (docs/onnx.md lists the supported ops)"
            )
        for name in node.input:
            if name and name not in self.values:
                raise OnnxImportError(f"{where}: error: input '{name}' is not defined")
        outputs = self._empty_outputs(node) or self._fold(index, node, converter, where)
        if outputs is None:
            ctx = NodeContext(self, node, where, self.b)
            with self.b.at(loc):
                outputs = _run_converter(ctx, converter)
        for name, value in zip(node.output, outputs, strict=False):
            if not name:
                continue
            if value is None:
                raise OnnxImportError(
                    f"{where}: error: output '{name}' is not supported"
                )
            self._check(where, name, value)
            self.values[name] = value

    def _empty_outputs(self, node: onnx.NodeProto) -> list[Value] | None:
        """Outputs with no elements are known (and empty) whatever the inputs."""
        types = [self.inferred.get(name) for name in node.output if name]
        if not types or any(t is None or t[0] is None or 0 not in t[0] for t in types):
            return None
        return [
            Known(np.zeros(t[0], carrier(t[1])), t[1])  # type: ignore[index]
            for t in types
        ]

    def _fold(
        self, index: int, node: onnx.NodeProto, converter: Converter, where: str
    ) -> list[Value] | None:
        """The outputs computed now, when every input is known and every
        output is a small integer or boolean tensor; else None."""
        if not all(isinstance(self.values[n], Known) for n in node.input if n):
            return None
        scratch = TensorBuilder("fold")
        ctx = NodeContext(self, node, where, scratch)
        with scratch.at(self._location(index, node)):
            outputs = _run_converter(ctx, converter)
        pending = [v for v in outputs if isinstance(v, SSAValue)]
        if not pending:
            return list(outputs)  # type: ignore[arg-type]
        if not all(_foldable((shape_of(v), type_name(element_of(v)))) for v in pending):
            return None
        from lpuir.interpreter.reference import run_function

        try:
            arrays = iter(run_function(scratch.module(pending), None, []))
        except LpuError:
            return None  # the program will compute it (and say why it cannot)
        return [
            Known(next(arrays), type_name(element_of(v)))
            if isinstance(v, SSAValue)
            else v
            for v in outputs
        ]  # type: ignore[misc]

    def _check(self, where: str, name: str, value: Value) -> None:
        """The converter's type against ONNX's shape inference (an importer
        bug shows up here, at the node, not later as a wrong result)."""
        inferred = self.inferred.get(name)
        if inferred is None:
            return
        shape, element = (
            (value.array.shape, value.element)
            if isinstance(value, Known)
            else (shape_of(value), type_name(element_of(value)))
        )
        want_shape, want_element = inferred
        if element != want_element or (
            want_shape is not None and tuple(want_shape) != tuple(shape)
        ):
            raise OnnxImportError(
                f"{where}: error: internal: output '{name}' came out as {_dims(shape)}x{element}, ONNX infers {_dims(want_shape) if want_shape is not None else '?'}x{want_element}"
            )


def _run_converter(ctx: NodeContext, converter: Converter) -> Sequence[Value | None]:
    try:
        return converter(ctx)
    except BuilderError as e:
        raise ctx.error(str(e)) from None


def _tensor_type(
    info: onnx.ValueInfoProto,
) -> tuple[tuple[int, ...] | None, str] | None:
    """A value's inferred (static shape or None, element type)."""
    if not info.type.HasField("tensor_type"):
        return None
    t = info.type.tensor_type
    if t.elem_type not in ELEMENT_TYPES:
        return None
    element = ELEMENT_TYPES[t.elem_type]
    if not t.HasField("shape") or any(not d.HasField("dim_value") for d in t.shape.dim):
        return None, element
    return tuple(d.dim_value for d in t.shape.dim), element


def _foldable(t: tuple[tuple[int, ...], str]) -> bool:
    """A small integer or boolean result: exact to compute at import."""
    shape, element = t
    return (
        element != "f64"
        and not numerics.is_float(element)
        and int(np.prod(shape)) <= FOLD_LIMIT
    )


def _is_weight(known: Known) -> bool:
    """Initializers that become `{lpu.weight}` arguments under
    weights_as_arguments: tensors (not scalars) of floats or 8- and 16-bit
    integers; 32/64-bit integers and booleans (shapes, indices) stay constants."""
    return known.array.size > 1 and known.element in (
        "f16",
        "bf16",
        "f32",
        "f64",
        "i8",
        "ui8",
        "i16",
        "ui16",
    )


# ------------------------------------------------------------------- loading


def load_model(
    model: str | Path | bytes | onnx.ModelProto,
) -> tuple[onnx.ModelProto, str]:
    """The model and the name its errors are located in."""
    if isinstance(model, onnx.ModelProto):
        return model, model.graph.name or "<onnx>"
    if isinstance(model, bytes):
        try:
            return onnx.load_model_from_string(model), "<onnx>"
        except Exception as e:
            raise OnnxImportError(f"<onnx>: error: not an ONNX model: {e}") from None
    path = Path(model)
    try:
        return onnx.load(str(path), load_external_data=True), str(model)
    except FileNotFoundError as e:
        raise OnnxImportError(
            f"{model}: error: cannot read: {e.strerror or e}"
        ) from None
    except Exception as e:  # protobuf's DecodeError, missing external data, ...
        raise OnnxImportError(
            f"{model}: error: cannot load the ONNX model: {e}"
        ) from None


def _graph_input(
    model: onnx.ModelProto, name: str, option: str, source: str
) -> onnx.ValueInfoProto:
    """The graph input `name`, which an option binds."""
    inputs = {i.name: i for i in model.graph.input}
    if name not in inputs:
        raise OnnxImportError(
            f"{source}: error: {option} names '{name}', which is not an input (inputs: {', '.join(inputs) or 'none'})"
        )
    return inputs[name]


def _first_line(e: Exception) -> str:
    text = str(e).strip()
    return text.splitlines()[0] if text else type(e).__name__


def bind_shapes(
    model: onnx.ModelProto, input_shapes: dict[str, Sequence[int]], source: str
) -> None:
    """Give the named graph inputs static shapes (in place)."""
    for name, shape in input_shapes.items():
        t = _graph_input(model, name, "--input-shape", source).type.tensor_type
        dims = t.shape.dim
        if t.HasField("shape") and len(dims) != len(shape):
            raise OnnxImportError(
                f"{source}: error: input '{name}' has rank {len(dims)}, --input-shape gives {_dims(list(shape))}"
            )
        for dim, size in zip(dims, shape, strict=False):
            if dim.HasField("dim_value") and dim.dim_value != size:
                raise OnnxImportError(
                    f"{source}: error: input '{name}' has dimension {dim.dim_value} where --input-shape gives {size}"
                )
        t.shape.ClearField("dim")
        for size in shape:
            t.shape.dim.add().dim_value = int(size)


def bind_values(
    model: onnx.ModelProto, input_values: dict[str, np.ndarray], source: str
) -> None:
    """Make the named graph inputs initializers holding the given values
    (in place), so that ops which need them at import (and shape inference)
    see them."""
    for name, value in input_values.items():
        info = _graph_input(model, name, "input_values", source)
        t = info.type.tensor_type
        array = np.asarray(value)
        want = onnx.helper.tensor_dtype_to_np_dtype(t.elem_type)
        if array.dtype != want:
            raise OnnxImportError(
                f"{source}: error: input '{name}' is {onnx.TensorProto.DataType.Name(t.elem_type)}, the bound value is {array.dtype}"
            )
        model.graph.input.remove(info)
        model.graph.initializer.append(numpy_helper.from_array(array, name))


def prepare(
    model: onnx.ModelProto,
    source: str,
    input_shapes: dict[str, Sequence[int]],
    input_values: dict[str, np.ndarray] | None = None,
) -> onnx.ModelProto:
    """Checked, inputs bound, converted to TARGET_OPSET, shapes inferred."""
    if input_shapes or input_values:
        model = onnx.ModelProto.FromString(model.SerializeToString())
    try:
        onnx.checker.check_model(model)
    except onnx.checker.ValidationError as e:
        raise OnnxImportError(
            f"{source}: error: invalid ONNX model: {_first_line(e)}"
        ) from None
    except ValueError:
        pass  # over 2 GB: the checker needs a path; the converter still checks nodes
    bind_shapes(model, input_shapes, source)
    bind_values(model, input_values or {}, source)
    opset = next(
        (o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None
    )
    if opset is not None and opset != TARGET_OPSET:
        try:
            model = version_converter.convert_version(model, TARGET_OPSET)
        except Exception as e:
            raise OnnxImportError(
                f"{source}: error: cannot convert the model from opset {opset} to {TARGET_OPSET}: {_first_line(e)}"
            ) from None
    try:
        return shape_inference.infer_shapes(
            model, check_type=True, strict_mode=True, data_prop=True
        )
    except Exception as e:
        raise OnnxImportError(
            f"{source}: error: shape inference failed: {_first_line(e)}"
        ) from None


def import_onnx(
    model: str | Path | bytes | onnx.ModelProto,
    *,
    weights_as_arguments: bool = False,
    input_shapes: dict[str, Sequence[int]] | None = None,
    input_values: dict[str, np.ndarray] | None = None,
    source: str | None = None,
) -> ModuleOp:
    """A verified tensor-level module (func + TOSA 1.0) from an ONNX model: a
    path (external data loads from beside it), serialized bytes or a
    ModelProto. `weights_as_arguments` makes the initializers `{lpu.weight}`
    arguments after the inputs; `input_shapes` binds inputs' symbolic
    dimensions; `input_values` makes inputs constants (an input that holds a
    shape, axes or bounds must be known at import). Errors are
    `OnnxImportError`s naming the node."""
    proto, name = load_model(model)
    source = source or name
    prepared = prepare(proto, source, dict(input_shapes or {}), input_values)
    from lpuir.onnx import layers, ops  # noqa: F401  (register the converters)

    return Importer(prepared, source, weights_as_arguments).run()

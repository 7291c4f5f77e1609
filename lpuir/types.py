"""Between MLIR types and the numerics spec's element type names: the one
place that names element types (`element_type_name`, `element_type`)."""

from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    Signedness,
    TensorType,
)
from xdsl.ir import Attribute

from lpuir.diagnostics import LpuError


def element_type_name(t: Attribute) -> str:
    """The numerics spec's name of an MLIR element type: i1..i64, ui8..ui64,
    f16, bf16, f32 (index counts as i64)."""
    if isinstance(t, IntegerType):
        prefix = "ui" if t.signedness.data == Signedness.UNSIGNED else "i"
        return f"{prefix}{t.width.data}"
    if isinstance(t, IndexType):
        return "i64"
    for cls, name in (
        (Float16Type, "f16"),
        (BFloat16Type, "bf16"),
        (Float32Type, "f32"),
    ):
        if isinstance(t, cls):
            return name
    if isinstance(t, Float64Type):
        raise LpuError("f64 is not a type of the numerics spec (f16, bf16 and f32 are)")
    raise LpuError(f"{t} is not an element type lpuir computes with")


def element_type(name: str) -> Attribute:
    """The MLIR element type a numerics spec name spells (the inverse of
    `element_type_name`): i1..i64 signless, ui8..ui64, f16, bf16, f32."""
    floats = {"f16": Float16Type(), "bf16": BFloat16Type(), "f32": Float32Type()}
    if name in floats:
        return floats[name]
    unsigned = name.startswith("ui")
    width = name.removeprefix("ui" if unsigned else "i")
    if name[:1] != "i" or not width.isdigit():
        raise LpuError(f"'{name}' is not an element type lpuir computes with")
    return IntegerType(
        int(width), Signedness.UNSIGNED if unsigned else Signedness.SIGNLESS
    )


def describe_tensor(shape: tuple[int, ...], element: str) -> str:
    """MLIR spelling of a tensor type, e.g. tensor<2x3xf32> (-1: `?`)."""
    return (
        "tensor<" + "".join(f"{d if d >= 0 else '?'}x" for d in shape) + element + ">"
    )


def tensor_shape_and_element(t: Attribute) -> tuple[tuple[int, ...], str]:
    """Shape and element name of a ranked static tensor (a scalar is shape ())."""
    if isinstance(t, TensorType):
        shape = tuple(t.get_shape())
        if any(d < 0 for d in shape):
            raise LpuError(
                f"{t} has a dynamic dimension; lpuir runs static shapes only"
            )
        return shape, element_type_name(t.element_type)
    return (), element_type_name(t)

"""Between MLIR types and the numerics spec's element type names: the one
place that names element types (`element_type_name`, `element_type`)."""

from xdsl.dialects.builtin import (
    BFloat16Type,
    Float4E2M1FNType,
    Float6E2M3FNType,
    Float6E3M2FNType,
    Float8E3M4Type,
    Float8E4M3B11FNUZType,
    Float8E4M3FNType,
    Float8E4M3FNUZType,
    Float8E4M3Type,
    Float8E5M2FNUZType,
    Float8E5M2Type,
    Float8E8M0FNUType,
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
    f16, bf16, f32, f64 and the 8-, 6- and 4-bit floats (index counts as
    i64). Where a type can be computed is the user's to say (the LPU holds
    no f64: lpu-vectorize says so at the op)."""
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
        return "f64"
    for name, minifloat in _MINIFLOAT_TYPES.items():
        if t == minifloat:
            return name
    raise LpuError(f"{t} is not an element type lpuir computes with")


_MINIFLOAT_TYPES: dict[str, Attribute] = {
    "f8E5M2": Float8E5M2Type(),
    "f8E4M3": Float8E4M3Type(),
    "f8E3M4": Float8E3M4Type(),
    "f8E4M3FN": Float8E4M3FNType(),
    "f8E5M2FNUZ": Float8E5M2FNUZType(),
    "f8E4M3FNUZ": Float8E4M3FNUZType(),
    "f8E4M3B11FNUZ": Float8E4M3B11FNUZType(),
    "f8E8M0FNU": Float8E8M0FNUType(),
    "f6E2M3FN": Float6E2M3FNType(),
    "f6E3M2FN": Float6E3M2FNType(),
    "f4E2M1FN": Float4E2M1FNType(),
}
"""The 8-, 6- and 4-bit floats of the numerics spec (`numerics.MINIFLOATS`)."""

_NAMED_TYPES: dict[str, Attribute] = {
    "f16": Float16Type(),
    "bf16": BFloat16Type(),
    "f32": Float32Type(),
    "f64": Float64Type(),
    **_MINIFLOAT_TYPES,
}


def element_type(name: str) -> Attribute:
    """The MLIR element type of a numerics name (the inverse of
    `element_type_name`; f64 too, which MLIR holds and numerics does not)."""
    if name in _NAMED_TYPES:
        return _NAMED_TYPES[name]
    unsigned = name.startswith("ui")
    digits = name.removeprefix("ui" if unsigned else "i")
    if digits != name and digits.isdigit() and int(digits) > 0:
        return IntegerType(
            int(digits), Signedness.UNSIGNED if unsigned else Signedness.SIGNLESS
        )
    raise LpuError(f"'{name}' is not an element type (like f32, bf16, i8, ui8, i1)")


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

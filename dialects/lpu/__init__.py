"""The LPU dialect: the instruction set of a TSP-style chip array, at two levels.

Logical level: SSA vectors and per-unit instructions, no placement, no cycles.
Scheduled level: the same ops with an issue `cycle`, a placement (VXM ALU, SXM or
MXM hemisphere, MXM plane, chip-to-chip port; MEM placement comes from the tensor
the op addresses) and the physical streams each vector travels on (`srcs`, `dst`).
The simulator executes the scheduled level; docs/dialect.md gives every op's
semantics and timing rule.

One module per concern: `types` (vectors, weights, element types), `attributes`
(the machine, streams, ALUs), `structure` (system, chip, tensor), `instruction`
(the base every instruction shares), one module per unit (`mem`, `vxm`, `sxm`,
`mxm`, `c2c`, `icu`) and `network` (the links as a whole). Everything is
imported here: `from lpuir.dialects import lpu` and `lpu.MatmulOp`.
"""

from __future__ import annotations

from xdsl.ir import Dialect

from lpuir.dialects.lpu.attributes import (
    AluAttr,
    ChipAttr,
    Source,
    StreamAttr,
    SystemAttr,
)
from lpuir.dialects.lpu.c2c import (
    DeskewOp,
    ForwardOp,
    NetworkOp,
    RecvOp,
    SendOp,
)
from lpuir.dialects.lpu.icu import (
    NopOp,
    NotifyOp,
    SyncOp,
)
from lpuir.dialects.lpu.instruction import (
    CYCLE_LIMIT,
    Footprint,
    Instruction,
    Names,
    Place,
    argument_text,
    source_text,
    stream_users,
)
from lpuir.dialects.lpu.mem import (
    GatherOp,
    MemOp,
    ReadOp,
    ScatterOp,
    WriteOp,
)
from lpuir.dialects.lpu.mxm import (
    ACCUMULATOR,
    InstallOp,
    MatmulOp,
    MxmOp,
)
from lpuir.dialects.lpu.network import (
    logical_pairs,
    routes,
    verify_network,
)
from lpuir.dialects.lpu.structure import (
    SOURCE_FUNCTION,
    TENSOR_KINDS,
    ChipOp,
    SystemOp,
    TensorOp,
    machine_of,
    tensor_layout,
    verify_error,
)
from lpuir.dialects.lpu.sxm import (
    DistributeOp,
    PermuteOp,
    RotateOp,
    ShiftOp,
    SxmOp,
    TransposeOp,
)
from lpuir.dialects.lpu.types import (
    ELEMENT_TYPES,
    TENSOR_TYPES,
    WORD_PAIRS,
    VectorType,
    WeightsType,
    element_bytes,
    element_name,
)
from lpuir.dialects.lpu.vxm import (
    CMP_PREDICATES,
    AbsOp,
    AddOp,
    AndOp,
    CmpOp,
    ConvertOp,
    CopyOp,
    CosOp,
    DivOp,
    ErfOp,
    ExpOp,
    LogOp,
    MaxOp,
    MinOp,
    MulOp,
    NegOp,
    NotOp,
    OrOp,
    PowOp,
    ReciprocalOp,
    ReluOp,
    RsqrtOp,
    SelectOp,
    ShlOp,
    ShrOp,
    ShruOp,
    SigmoidOp,
    SinOp,
    SqrtOp,
    SubOp,
    TanhOp,
    VxmBinaryOp,
    VxmOp,
    VxmTranscendentalOp,
    VxmUnaryOp,
    XorOp,
)
from lpuir.numerics import is_float

VXM_OPS: tuple[type[VxmOp], ...] = (
    NegOp, AbsOp, NotOp, CopyOp, ReluOp, ExpOp, LogOp, TanhOp, SigmoidOp, ErfOp, RsqrtOp,
    SqrtOp, SinOp, CosOp, ReciprocalOp, AddOp, SubOp, MulOp, DivOp, MinOp, MaxOp, AndOp, OrOp, XorOp, ShlOp,
    ShrOp, ShruOp, PowOp, CmpOp, SelectOp, ConvertOp,
)  # fmt: skip

INSTRUCTIONS: tuple[type[Instruction], ...] = (
    ReadOp, WriteOp, GatherOp, ScatterOp, *VXM_OPS, ShiftOp, RotateOp, PermuteOp,
    DistributeOp, TransposeOp, InstallOp, MatmulOp, SendOp, RecvOp, ForwardOp, DeskewOp,
    NopOp, NotifyOp, SyncOp,
)  # fmt: skip

LPU = Dialect(
    "lpu",
    [SystemOp, ChipOp, TensorOp, *INSTRUCTIONS],
    [VectorType, WeightsType, ChipAttr, SystemAttr, StreamAttr, AluAttr],
)

__all__ = [
    "ACCUMULATOR",
    "CMP_PREDICATES",
    "CYCLE_LIMIT",
    "ELEMENT_TYPES",
    "INSTRUCTIONS",
    "LPU",
    "SOURCE_FUNCTION",
    "TENSOR_KINDS",
    "TENSOR_TYPES",
    "VXM_OPS",
    "WORD_PAIRS",
    "AbsOp",
    "AddOp",
    "AluAttr",
    "AndOp",
    "ChipAttr",
    "ChipOp",
    "CmpOp",
    "ConvertOp",
    "CopyOp",
    "CosOp",
    "DeskewOp",
    "DistributeOp",
    "DivOp",
    "ErfOp",
    "ExpOp",
    "Footprint",
    "ForwardOp",
    "GatherOp",
    "InstallOp",
    "Instruction",
    "LogOp",
    "MatmulOp",
    "MaxOp",
    "MemOp",
    "MinOp",
    "MulOp",
    "MxmOp",
    "Names",
    "NegOp",
    "NetworkOp",
    "NopOp",
    "NotOp",
    "NotifyOp",
    "OrOp",
    "PermuteOp",
    "Place",
    "PowOp",
    "ReadOp",
    "ReciprocalOp",
    "RecvOp",
    "ReluOp",
    "RotateOp",
    "RsqrtOp",
    "ScatterOp",
    "SelectOp",
    "SendOp",
    "ShiftOp",
    "ShlOp",
    "ShrOp",
    "ShruOp",
    "SigmoidOp",
    "SinOp",
    "Source",
    "SqrtOp",
    "StreamAttr",
    "SubOp",
    "SxmOp",
    "SyncOp",
    "SystemAttr",
    "SystemOp",
    "TanhOp",
    "TensorOp",
    "TransposeOp",
    "VectorType",
    "VxmBinaryOp",
    "VxmOp",
    "VxmTranscendentalOp",
    "VxmUnaryOp",
    "WeightsType",
    "WriteOp",
    "XorOp",
    "argument_text",
    "element_bytes",
    "element_name",
    "is_float",
    "logical_pairs",
    "machine_of",
    "routes",
    "source_text",
    "stream_users",
    "tensor_layout",
    "verify_error",
    "verify_network",
]

"""lpu-inline: one function to compile, every call in it inlined.

A module may hold several functions (a frontend's helpers, or several entry
points); the compiler lowers one: `entry=NAME`, or else the only public
function. The functions it calls (private helpers or not) are inlined, calls
of calls too, each op keeping its own location; the other functions are
left out of the compiled module. A recursive call, a call of a declaration
and a function of several blocks (cf branches: a static schedule has no
branches) are refused with a located error saying why.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from lpuir.diagnostics import LpuError, module_location, op_location


def entry_function(module: ModuleOp, entry: str) -> func.FuncOp:
    """The function named `entry`, or (entry "") the only public one."""
    functions = [
        f for f in module.ops if isinstance(f, func.FuncOp) and not f.is_declaration
    ]
    names = ", ".join(f"@{f.sym_name.data}" for f in functions) or "none"
    if entry:
        found = next((f for f in functions if f.sym_name.data == entry), None)
        if found is None:
            raise LpuError(
                f"{module_location(module)}: error: entry=@{entry}: the module has no such function (functions: {names})"
            )
        return found
    public = [
        f
        for f in functions
        if f.sym_visibility is None or f.sym_visibility.data == "public"
    ]
    if len(public) != 1:
        raise LpuError(
            f"{module_location(module)}: error: the module has {len(public)} public functions ({names}); "
            "choose the one to compile with lpu-compile{entry=NAME}"
        )
    return public[0]


def single_block(fn: func.FuncOp, why: Operation) -> Block:
    blocks = list(fn.body.blocks)
    if len(blocks) != 1:
        raise LpuError(
            f"{op_location(why)}: error: @{fn.sym_name.data} has {len(blocks)} blocks: "
            "branches (cf) depend on run-time values, which a static schedule cannot follow"
        )
    return blocks[0]


def inline_calls(
    fn: func.FuncOp, functions: dict[str, func.FuncOp], stack: tuple[str, ...] = ()
) -> None:
    """Replace every func.call in `fn` by a copy of its callee's body."""
    for call in [op for op in fn.walk() if isinstance(op, func.CallOp)]:
        name = call.callee.root_reference.data
        callee = functions.get(name)
        if callee is None or callee.is_declaration:
            raise LpuError(
                f"{op_location(call)}: error: call of @{name}, which has no body here to inline"
            )
        if name in stack or name == fn.sym_name.data:
            raise LpuError(
                f"{op_location(call)}: error: @{name} calls itself (through {' -> '.join('@' + s for s in (*stack, name))}): "
                "a recursion has no static schedule"
            )
        body = callee.clone()
        inline_calls(body, functions, (*stack, fn.sym_name.data, name))
        block = single_block(body, call)
        values: dict[SSAValue, SSAValue] = dict(
            zip(block.args, call.arguments, strict=True)
        )
        results: list[SSAValue] = []
        for op in block.ops:
            if isinstance(op, func.ReturnOp):
                results = [values.get(v, v) for v in op.arguments]
            else:
                Rewriter.insert_op(op.clone(values), InsertPoint.before(call))
        for old, new in zip(call.results, results, strict=True):
            old.replace_all_uses_with(new)
        call.detach()
        call.erase()
        body.erase()


@dataclass(frozen=True)
class InlinePass(ModulePass):
    """Keep the function to compile, with its calls inlined (module docstring)."""

    name = "lpu-inline"

    entry: str = ""
    """The function to compile (default: the module's only public one)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        fn = entry_function(op, self.entry)
        functions = {f.sym_name.data: f for f in op.ops if isinstance(f, func.FuncOp)}
        single_block(fn, fn)
        inline_calls(fn, functions)
        for other in list(op.ops):
            if other is not fn and isinstance(other, func.FuncOp):
                other.detach()
                other.erase()

"""Running the decoder: the decode step's inputs (`step_inputs`, `empty_cache`),
`DecodeStep` (parsed and compiled once, run on the reference interpreter or the
simulator) and greedy decoding (`generate`), the KV cache carried on the host."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lpuir import numerics
from lpuir.diagnostics import LpuError
from lpuir.models.config import LlamaConfig, rope_rows
from lpuir.models.graph import CACHE_TYPE, build_decode_step
from lpuir.models.weights import LlamaWeights

# ----------------------------------------------------------------------- host


def empty_cache(config: LlamaConfig) -> list[np.ndarray]:
    """Zero K and V caches, k0, v0, k1, v1, ... in the f16 carrier."""
    shape = (config.n_kv_heads, config.context, config.head_dim)
    carrier = numerics.carrier(CACHE_TYPE)
    return [np.zeros(shape, carrier) for _ in range(2 * config.n_layers)]


def step_inputs(
    config: LlamaConfig, token: int, pos: int, cache: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """The decode step's arguments for `token` at position `pos`."""
    if not 0 <= token < config.vocab:
        raise LpuError(f"token {token} is outside the vocabulary 0..{config.vocab - 1}")
    if not 0 <= pos < config.context:
        raise LpuError(f"position {pos} is outside the context 0..{config.context - 1}")
    act = config.activations
    one_hot = np.zeros((1, 1, config.vocab))
    one_hot[0, 0, token] = 1.0
    cos, sin = rope_rows(config, pos)
    mask = np.where(np.arange(config.context) <= pos, 0.0, -np.inf)
    slot = np.zeros((1, config.context, 1))
    slot[0, pos, 0] = 1.0
    return [
        numerics.as_carrier(one_hot, config.weights),
        cos.reshape(1, 1, -1),
        sin.reshape(1, 1, -1),
        numerics.as_carrier(mask.reshape(1, 1, -1), act),
        numerics.as_carrier(slot, CACHE_TYPE),
        *cache,
    ]


@dataclass
class StepResult:
    logits: np.ndarray  # [vocab] f32
    cache: list[np.ndarray]
    cycles: int | None = None
    static_cycles: int | None = None
    report: dict[str, Any] | None = None
    trace: dict[str, Any] | None = None


class DecodeStep:
    """One decode step's IR, parsed once and compiled once (on first use), run
    on the reference interpreter (`backend="reference"`) or the cycle-level
    simulator (`backend="simulator"`)."""

    def __init__(
        self,
        config: LlamaConfig,
        weights: LlamaWeights,
        *,
        system: str = "tsp-v1",
        strategy: str = "auto",
        group: int = 8,
        filename: str = "llama.mlir",
    ) -> None:
        from lpuir.diagnostics import verify_located
        from lpuir.frontend import parse_source

        self.config = config
        self.system = system
        self.strategy = strategy
        self.group = group
        self.filename = filename
        self.text = build_decode_step(config, weights)
        self.source = parse_source(self.text, filename)
        verify_located(self.source)
        self._compiled: Any = None
        self._partitioned: Any = None

    @property
    def compiled(self) -> Any:
        """The scheduled LPU program (lpu-compile{system=... strategy=... group=...})."""
        if self._compiled is None:
            from lpuir.context import make_context
            from lpuir.diagnostics import verify_located
            from lpuir.frontend import parse_source

            module = parse_source(self.text, self.filename)
            self._pass().apply(make_context(), module)
            verify_located(module)
            self._compiled = module
        return self._compiled

    @property
    def partitioned(self) -> Any:
        """The step's IR as lpu-compile partitions it (lpu-inline, -decompose,
        -partition: the order of split sums is stated in it), which the
        reference backend runs, so both backends agree bit for bit."""
        if self._partitioned is None:
            from lpuir.context import make_context
            from lpuir.frontend import parse_source

            module = parse_source(self.text, self.filename)
            self._pass().partition(make_context(), module)
            self._partitioned = module
        return self._partitioned

    def _pass(self) -> Any:
        from lpuir.transforms.compile import CompilePass

        return CompilePass(system=self.system, strategy=self.strategy, group=self.group)

    def run(
        self,
        token: int,
        pos: int,
        cache: Sequence[np.ndarray],
        backend: str = "simulator",
        *,
        trace: bool = False,
    ) -> StepResult:
        inputs = step_inputs(self.config, token, pos, cache)
        if backend == "reference":
            from lpuir.execute import machine_chip
            from lpuir.interpreter.reference import run_function

            # the numerics parameters of the machine it is compiled for
            chip = machine_chip(self.system)
            out = run_function(self.partitioned, None, inputs, chip=chip)
            return StepResult(out[0].reshape(-1), out[1:])
        if backend != "simulator":
            raise LpuError(f"unknown backend '{backend}' (reference or simulator)")
        from lpuir.execute import run_module

        run = run_module(self.compiled, inputs, trace=trace)
        report = run.report
        return StepResult(
            run.outputs[0].reshape(-1),
            list(run.outputs[1:]),
            report.cycles,
            report.static_cycles,
            report.to_json(),
            report.trace,
        )


@dataclass
class Generation:
    """Greedy decoding: the tokens fed (prompt) and produced, per step."""

    prompt: list[int]
    tokens: list[int]
    steps: list[StepResult]


def generate(
    step: DecodeStep,
    prompt: Sequence[int],
    new_tokens: int,
    backend: str = "simulator",
    *,
    on_step: Callable[[int, int, StepResult], None] | None = None,
) -> Generation:
    """Feed the prompt one token per step (prefill as decode steps), then pick
    the argmax of the logits (the first maximum) `new_tokens` times, carrying
    the KV cache from step to step."""
    config = step.config
    if not prompt:
        raise LpuError("the prompt needs at least one token")
    total = len(prompt) + new_tokens - 1
    if total > config.context:
        raise LpuError(
            f"{len(prompt)} prompt tokens and {new_tokens} new ones need {total} positions; the context is {config.context}"
        )
    cache = empty_cache(config)
    fed = list(prompt)
    produced: list[int] = []
    steps: list[StepResult] = []
    pos = 0
    while len(produced) < new_tokens:
        result = step.run(fed[pos], pos, cache, backend)
        cache = result.cache
        steps.append(result)
        if on_step is not None:
            on_step(pos, fed[pos], result)
        pos += 1
        if pos >= len(prompt):
            nxt = int(np.argmax(result.logits))
            produced.append(nxt)
            fed.append(nxt)
    return Generation(list(prompt), produced, steps)

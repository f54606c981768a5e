"""`optimizer.step()` without torch.optim's per-call wrappers, where that changes nothing.

Layer: training. A torch optimizer's `step` is wrapped twice: once for step hooks
and the profiler, once to switch gradients off around the update and to mark
graph breaks for TorchDynamo. The second wrapper imports torch._dynamo on every
call, and functional updates such as `torch.optim.sgd.sgd` import it on their
first call, which costs seconds at start-up; together the wrappers also cost
microseconds per step, a large share of a step of this tiny network.

`skip_dynamo_wrappers()`, called before an optimizer is built, keeps its
construction from importing torch._dynamo too.

`direct_step(optimizer)` returns a function that runs the same update (the
optimizer's own `step`, unwrapped, with gradients off, and on the CPU with
`foreach=False` settled once instead of at every step), or plain
`optimizer.step` wherever the shortcut could differ: when any step hook is
registered, when the optimizer is `differentiable`, or when torch.optim is not
wrapped the way this module expects. Nothing here compiles, so skipping
TorchDynamo's markers changes no result; the tests check that both paths give
bit-identical parameters.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

import torch
from torch.optim import optimizer as optimizer_module

# torch._compile._disable_dynamo caches the function it resolved under this name.
_RESOLVED = "__dynamo_disable"


def _resolve_to_itself(candidate: Any) -> None:
    original = getattr(candidate, "__wrapped__", None)
    if callable(original) and getattr(original, _RESOLVED, None) is None:
        with contextlib.suppress(AttributeError, TypeError):
            setattr(original, _RESOLVED, original)


def skip_dynamo_wrappers() -> None:
    """Resolve torch.optim's `_disable_dynamo` wrappers to the plain functions, so their
    first call does not import torch._dynamo; only while no compiler is loaded."""
    if "torch._dynamo" in sys.modules:
        return
    for name, module in list(sys.modules.items()):
        if not name.startswith("torch.optim") or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, type) and issubclass(value, torch.optim.Optimizer):
                for attribute in vars(value).values():
                    _resolve_to_itself(attribute)
            elif callable(value):
                _resolve_to_itself(value)


def direct_step(optimizer: torch.optim.Optimizer) -> Callable[[], Any]:
    hooks = (
        optimizer_module._global_optimizer_pre_hooks,
        optimizer_module._global_optimizer_post_hooks,
        optimizer._optimizer_step_pre_hooks,
        optimizer._optimizer_step_post_hooks,
    )
    wrapped = type(optimizer).step
    unwrapped = inspect.unwrap(wrapped)
    if any(hooks) or optimizer.defaults.get("differentiable", False) or unwrapped is wrapped:
        return optimizer.step
    skip_dynamo_wrappers()
    for group in optimizer.param_groups:
        # On the CPU torch picks the per-tensor loop when `foreach` is unset; deciding
        # that anew costs more than the update of this network's four tensors.
        if group.get("foreach", False) is None and all(p.device.type == "cpu" for p in group["params"]):
            group["foreach"] = False
    set_grad_enabled = torch._C._set_grad_enabled

    def step() -> Any:
        # the training loop runs with gradients on; the update itself runs without
        set_grad_enabled(False)
        try:
            return unwrapped(optimizer)
        finally:
            set_grad_enabled(True)

    return step

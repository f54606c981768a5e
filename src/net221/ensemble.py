"""E independent networks of one shape in one module, for seed studies and sweeps.

Member k is a `Net221` (`member(k)`); the ensemble only stores all members
together so that one step trains them all. Four tensors hold them:

    hidden_weight (E, D, H)   member k's hidden.weight is hidden_weight[k].T
    hidden_bias   (E, 1, H)
    output_weight (E, H, 1)
    output_bias   (E, 1, 1)

The members dimension is innermost in memory (hidden_weight is stored as
(D, H, E)), so that each parameter of all members is one contiguous row. From
ALONG_MEMBERS_FROM members on, the forward pass works along those rows: there
elementwise operations cost a fraction of a nanosecond per value, where batched
products of thousands of tiny matrices cost several (scripts/benchmark.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from net221.init import initial_parameters, parameter_count
from net221.network import ACTIVATIONS, Net221

ALONG_MEMBERS_FROM = 2048


class Ensemble(nn.Module):
    """E independent networks D -> H -> 1: inputs (B, D) -> outputs (E, B, 1)."""

    def __init__(
        self,
        initial: np.ndarray,
        input_dim: int = 2,
        width: int = 2,
        activation: str = "sigmoid",
        *,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        """`initial` (E, parameter_count): member k's values laid out as `Net221.flat()`."""
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {list(ACTIVATIONS)}")
        members = int(np.shape(initial)[0])
        self.input_dim, self.width, self.activation, self.members = input_dim, width, activation, members
        self.f = ACTIVATIONS[activation]

        def empty(*shape: int) -> nn.Parameter:
            # stored (*shape, E), shown as (E, *shape): members innermost in memory
            stored = torch.empty(*shape, members, dtype=dtype, device=device)
            return nn.Parameter(stored.permute(len(shape), *range(len(shape))))

        self.hidden_weight = empty(input_dim, width)
        self.hidden_bias = empty(1, width)
        self.output_weight = empty(width, 1)
        self.output_bias = empty(1, 1)
        self.load_flat(initial)

    @classmethod
    def from_seeds(
        cls,
        members: int,
        seed: int,
        input_dim: int = 2,
        width: int = 2,
        activation: str = "sigmoid",
        *,
        scheme: str = "normal",
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> Ensemble:
        """Member k starts where a single network drawn with seed + k starts."""
        initial = initial_parameters(scheme, input_dim=input_dim, width=width, members=members, seed=seed)
        return cls(initial, input_dim, width, activation, dtype=dtype, device=device)

    @classmethod
    def from_networks(cls, networks: Sequence[Net221]) -> Ensemble:
        """One member per network, with the networks' current values (copied)."""
        first, initial = networks[0], np.stack([net.flat() for net in networks])
        dtype, device = first.hidden.weight.dtype, first.hidden.weight.device
        return cls(initial, first.input_dim, first.width, first.activation, dtype=dtype, device=device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, D) seen by every member, or (E, B, D) one batch per member -> (E, B, 1);
        an input of another dtype is converted to the ensemble's, as `Net221` does."""
        x = x.to(self.hidden_weight.dtype)
        if self.members >= ALONG_MEMBERS_FROM and x.dim() == 2:
            return self.forward_along_members(x)
        return self.forward_batched(x)

    def forward_batched(self, x: torch.Tensor) -> torch.Tensor:
        """The forward pass as E small affine maps per layer (`baddbmm`)."""
        if x.dim() == 2:
            x = x.expand(self.members, *x.shape)
        hidden = self.f(torch.baddbmm(self.hidden_bias, x, self.hidden_weight))
        return torch.sigmoid(torch.baddbmm(self.output_bias, hidden, self.output_weight))

    def forward_along_members(self, x: torch.Tensor) -> torch.Tensor:
        """The forward pass for shared rows x (B, D), along contiguous rows of E values."""
        members, inputs, width, rows = self.members, self.input_dim, self.width, x.shape[0]
        # views of the stored (.., E) layout: no copies
        hidden_weight = self.hidden_weight.permute(1, 2, 0).reshape(inputs, width * members)
        hidden_bias = self.hidden_bias.permute(1, 2, 0).reshape(1, width * members)
        output_weight = self.output_weight.permute(1, 2, 0).reshape(width, members)
        output_bias = self.output_bias.permute(1, 2, 0).reshape(1, members)
        # (B, D) @ (D, H * E): one product for every member and hidden neuron
        hidden = self.f(torch.addmm(hidden_bias, x, hidden_weight).view(rows, width, members))
        output = torch.sigmoid((hidden * output_weight).sum(1) + output_bias)  # (B, E)
        return output.t().unsqueeze(-1)

    # --- one row of parameter_count values per member, laid out as Net221.flat() ------

    def _tensors(self) -> tuple[torch.Tensor, ...]:
        return (self.hidden_weight, self.output_weight, self.hidden_bias, self.output_bias)

    def _rows(self, tensors: Sequence[torch.Tensor]) -> np.ndarray:
        hidden_weight, *others = (t.detach().to("cpu", torch.float64) for t in tensors)
        # (E, D, H) -> neuron by neuron (H, D), as nn.Linear stores it
        parts = [hidden_weight.transpose(1, 2), *others]
        return torch.cat([part.flatten(1) for part in parts], dim=1).numpy()

    def flat(self) -> np.ndarray:
        """Every member's parameters, (E, parameter_count)."""
        return self._rows(self._tensors())

    def flat_grad(self) -> np.ndarray:
        """Every member's gradients, laid out as `flat()`; missing gradients read as 0."""
        return self._rows([torch.zeros_like(t) if t.grad is None else t.grad for t in self._tensors()])

    def load_flat(self, initial: np.ndarray) -> None:
        """Set every member from an array (E, parameter_count)."""
        d, h = self.input_dim, self.width
        values = np.asarray(initial, dtype=np.float64)
        expected = (self.members, parameter_count(d, h))
        if values.shape != expected:
            raise ValueError(f"initial values have shape {values.shape}, expected {expected}")
        rows = torch.from_numpy(values)
        with torch.no_grad():
            self.hidden_weight.copy_(rows[:, : d * h].reshape(-1, h, d).transpose(1, 2))
            self.output_weight.copy_(rows[:, d * h : d * h + h].reshape(-1, h, 1))
            self.hidden_bias.copy_(rows[:, d * h + h : d * h + 2 * h].reshape(-1, 1, h))
            self.output_bias.copy_(rows[:, -1:].reshape(-1, 1, 1))

    def member(self, k: int) -> Net221:
        """Member k as a single network (a copy)."""
        dtype, device = self.hidden_weight.dtype, self.hidden_weight.device
        net = Net221(self.input_dim, self.width, self.activation, dtype=dtype, device=device)
        net.load_flat(self._rows([t[k : k + 1] for t in self._tensors()])[0])
        return net

    def extra_repr(self) -> str:
        return (
            f"members={self.members}, input_dim={self.input_dim}, width={self.width}, "
            f"activation={self.activation}"
        )


class MemberLoss(nn.Module):
    """Each member's mean loss over the batch, summed over members.

    Members share nothing, so the gradient of this sum with respect to member k's
    parameters is exactly the gradient member k gets when it is trained alone.
    `summed` is the configured loss built with reduction="sum"."""

    def __init__(self, summed: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
        super().__init__()
        self.summed = summed

    def forward(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        rows = y_pred.shape[-2]
        return self.summed(y_pred, y_true.expand_as(y_pred)) / rows

"""The network as a torch module: inputs -> H hidden neurons -> one sigmoid output.

Layer: core. With 2 inputs, 2 sigmoid hidden neurons and one member this is the
blog's network, and its nine parameters are read and written by their blog
names (w1..w6, b1..b3) whatever the tensor layout.

Every parameter has a leading "members" dimension E: one module holds E
independent networks that share nothing but the input. Four tensors hold them:

    hidden_weight (E, D, H)   w1 = [0, 0, 0] (x1 -> h1), w2 = [0, 1, 0] (x2 -> h1),
                              w3 = [0, 0, 1] (x1 -> h2), w4 = [0, 1, 1] (x2 -> h2)
    hidden_bias   (E, 1, H)   b1 = [0, 0, 0], b2 = [0, 0, 1]
    output_weight (E, H, 1)   w5 = [0, 0, 0], w6 = [0, 1, 0]
    output_bias   (E, 1, 1)   b3 = [0, 0, 0]

In memory the members dimension is the innermost one (hidden_weight is stored
as (D, H, E) and shown as (E, D, H)), so that each parameter of all members is
one contiguous row. The forward pass takes one of two routes, which compute the
same function:

- fewer than COLUMN_MEMBERS members: two batched affine maps (`baddbmm`) and two
  activations, the fewest operations per step;
- more: one matrix product of the shared input with every member's hidden
  weights, then elementwise operations along those contiguous rows. Batched
  products of thousands of tiny matrices, and sums over an innermost dimension
  of size H, cost several nanoseconds per value on the CPU; elementwise
  operations over long rows cost a fraction of one (scripts/benchmark.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch import nn

from net221.init import BLOG_NAMES, blog_vector, has_blog_names, initial_parameters

__all__ = ["ACTIVATIONS", "BLOG_NAMES", "COLUMN_MEMBERS", "Net221"]

# From this many members on, the forward pass works along rows of members.
COLUMN_MEMBERS = 2048

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
}


class Net221(nn.Module):
    """E independent networks D -> H -> 1 with a sigmoid output, as one module."""

    def __init__(
        self,
        input_dim: int = 2,
        width: int = 2,
        activation: str = "sigmoid",
        members: int = 1,
        initial: np.ndarray | Mapping[str, float] | None = None,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {list(ACTIVATIONS)}")
        for label, value in (("input_dim", input_dim), ("width", width), ("members", members)):
            if value < 1:
                raise ValueError(f"{label} must be >= 1, got {value}")
        self.input_dim = input_dim
        self.width = width
        self.members = members
        self.activation = activation
        self._activation = ACTIVATIONS[activation]

        def empty(*shape: int) -> nn.Parameter:
            # stored (*shape, E), shown as (E, *shape): members innermost in memory
            stored = torch.empty(*shape, members, dtype=dtype, device=device)
            return nn.Parameter(stored.permute(len(shape), *range(len(shape))))

        self.hidden_weight = empty(input_dim, width)
        self.hidden_bias = empty(1, width)
        self.output_weight = empty(width, 1)
        self.output_bias = empty(1, 1)

        if initial is None:
            initial = initial_parameters("normal", input_dim=input_dim, width=width, members=members)
        elif isinstance(initial, Mapping):
            initial = np.tile(blog_vector(initial), (members, 1))
        self.load_flat(initial)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, D), or (E, B, D) already expanded over members -> y_pred (E, B, 1).

        Every member sees the same rows; a training loop may expand its batches once
        instead of at every step. Other (E, B, D) inputs, different rows per member,
        take the batched route whatever E."""
        if self.members >= COLUMN_MEMBERS and (x.dim() == 2 or x.stride(0) == 0):
            return self.forward_along_members(x)
        return self.forward_batched(x)

    def forward_batched(self, x: torch.Tensor) -> torch.Tensor:
        """The forward pass as E small affine maps per layer (`baddbmm`)."""
        if x.dim() == 2:
            x = x.expand(self.members, *x.shape)
        hidden = self._activation(torch.baddbmm(self.hidden_bias, x, self.hidden_weight))
        return torch.sigmoid(torch.baddbmm(self.output_bias, hidden, self.output_weight))

    def forward_along_members(self, x: torch.Tensor) -> torch.Tensor:
        """The forward pass as operations along contiguous rows of E values."""
        if x.dim() == 3:
            if x.shape[0] != self.members or (x.stride(0) != 0 and self.members > 1):
                raise ValueError(
                    f"forward_along_members takes rows (B, D) or their expansion over the {self.members} "
                    f"members, not inputs of shape {tuple(x.shape)} that differ by member"
                )
            x = x[0]  # the rows every member sees
        members, inputs, width = self.members, self.input_dim, self.width
        rows = x.shape[0]
        # views of the stored (.., E) layout: no copies
        hidden_weight = self.hidden_weight.permute(1, 2, 0).reshape(inputs, width * members)
        hidden_bias = self.hidden_bias.permute(1, 2, 0).reshape(1, width * members)
        output_weight = self.output_weight.permute(1, 2, 0).reshape(width, members)
        output_bias = self.output_bias.permute(1, 2, 0).reshape(1, members)
        # (B, D) @ (D, H * E): one product for every member and hidden neuron
        hidden = self._activation(torch.addmm(hidden_bias, x, hidden_weight).view(rows, width, members))
        output = torch.sigmoid((hidden * output_weight).sum(1) + output_bias)  # (B, E)
        return output.t().unsqueeze(-1)

    # --- the flat view: one row of parameter_count values per member -------------

    def load_flat(self, flat: np.ndarray) -> None:
        """Set every member from an array (E, parameter_count) in the order of net221.init."""
        d, h = self.input_dim, self.width
        flat = np.asarray(flat, dtype=np.float64)
        expected = (self.members, d * h + 2 * h + 1)
        if flat.shape != expected:
            raise ValueError(f"initial values have shape {flat.shape}, expected {expected}")
        values = torch.from_numpy(flat)
        with torch.no_grad():
            # neuron-major (H, D) in the flat vector; (D, H) in the tensor
            self.hidden_weight.copy_(values[:, : d * h].reshape(-1, h, d).transpose(1, 2))
            self.output_weight.copy_(values[:, d * h : d * h + h].reshape(-1, h, 1))
            self.hidden_bias.copy_(values[:, d * h + h : d * h + 2 * h].reshape(-1, 1, h))
            self.output_bias.copy_(values[:, -1:].reshape(-1, 1, 1))

    def _flat_of(self, tensors: tuple[torch.Tensor, ...]) -> np.ndarray:
        hidden_weight, hidden_bias, output_weight, output_bias = (
            t.detach().to("cpu", torch.float64) for t in tensors
        )
        return torch.cat(
            [
                hidden_weight.transpose(1, 2).reshape(self.members, -1),
                output_weight.reshape(self.members, -1),
                hidden_bias.reshape(self.members, -1),
                output_bias.reshape(self.members, -1),
            ],
            dim=1,
        ).numpy()

    def flat(self) -> np.ndarray:
        """Every member's parameters as an array (E, parameter_count)."""
        return self._flat_of(self._tensors())

    def flat_grad(self) -> np.ndarray:
        """Every member's gradients, laid out as `flat()`; missing gradients read as 0."""
        grads = tuple(torch.zeros_like(t) if t.grad is None else t.grad for t in self._tensors())
        return self._flat_of(grads)

    def _tensors(self) -> tuple[torch.Tensor, ...]:
        return (self.hidden_weight, self.hidden_bias, self.output_weight, self.output_bias)

    # --- the blog's names ---------------------------------------------------------

    def _require_blog_shape(self) -> None:
        if not has_blog_names(self.input_dim, self.width):
            raise ValueError(
                "blog names exist only for 2 inputs and width 2; "
                f"this network has {self.input_dim} inputs and width {self.width}"
            )

    def blog_parameters(self, member: int = 0) -> dict[str, float]:
        """{w1: .., ..., b3: ..} of one member."""
        self._require_blog_shape()
        return dict(zip(BLOG_NAMES, (float(v) for v in self.flat()[member]), strict=True))

    def blog_gradients(self, member: int = 0) -> dict[str, float]:
        """dLoss/dθ by blog name for one member, after `backward()`."""
        self._require_blog_shape()
        return dict(zip(BLOG_NAMES, (float(v) for v in self.flat_grad()[member]), strict=True))

    def set_blog_parameters(self, values: Mapping[str, float], member: int | None = None) -> None:
        """Set all nine by blog name, for one member or (None) for every member."""
        self._require_blog_shape()
        flat = self.flat()
        if member is None:
            flat[:] = blog_vector(values)
        else:
            flat[member] = blog_vector(values)
        self.load_flat(flat)

    def member(self, k: int) -> Net221:
        """A one-member copy of member k."""
        single = Net221(
            self.input_dim,
            self.width,
            self.activation,
            members=1,
            initial=self.flat()[k : k + 1],
            dtype=self.hidden_weight.dtype,
            device=self.hidden_weight.device,
        )
        return single

    @torch.no_grad()
    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """P(label = 1) for inputs x (B, D): (E, B)."""
        probabilities: torch.Tensor = self(x).squeeze(-1)
        return probabilities

    def extra_repr(self) -> str:
        return (
            f"input_dim={self.input_dim}, width={self.width}, "
            f"activation={self.activation}, members={self.members}"
        )

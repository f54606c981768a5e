"""The network: inputs -> H hidden neurons -> one sigmoid output, as a PyTorch user writes it.

With 2 inputs and 2 sigmoid hidden neurons this is the blog's network,

    h1 = f(w1 * x1 + w2 * x2 + b1)
    h2 = f(w3 * x1 + w4 * x2 + b2)
    o1 = f(w5 * h1 + w6 * h2 + b3)

and its nine parameters are elements of the two layers' tensors (BLOG_PARAMETERS).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
import torch
from torch import nn

from net221.init import BLOG_NAMES, has_blog_names

__all__ = ["ACTIVATIONS", "BLOG_NAMES", "BLOG_PARAMETERS", "DTYPES", "Net221"]

DTYPES = {"float32": torch.float32, "float64": torch.float64}

ACTIVATIONS: dict[str, Callable[[torch.Tensor], torch.Tensor]] = {
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "relu": torch.relu,
}

# Blog name -> (tensor in the state_dict, index into it). Row j of a weight matrix
# holds the weights into neuron j (nn.Linear's convention).
BLOG_PARAMETERS: dict[str, tuple[str, tuple[int, ...]]] = {
    "w1": ("hidden.weight", (0, 0)),  # x1 -> h1
    "w2": ("hidden.weight", (0, 1)),  # x2 -> h1
    "w3": ("hidden.weight", (1, 0)),  # x1 -> h2
    "w4": ("hidden.weight", (1, 1)),  # x2 -> h2
    "w5": ("output.weight", (0, 0)),  # h1 -> o1
    "w6": ("output.weight", (0, 1)),  # h2 -> o1
    "b1": ("hidden.bias", (0,)),
    "b2": ("hidden.bias", (1,)),
    "b3": ("output.bias", (0,)),
}


class Net221(nn.Module):
    """D inputs -> `width` hidden neurons (`activation`) -> 1 sigmoid output."""

    def __init__(
        self,
        input_dim: int = 2,
        width: int = 2,
        activation: str = "sigmoid",
        *,
        dtype: torch.dtype = torch.float64,
        device: torch.device | str | None = None,
    ) -> None:
        super().__init__()
        if activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {activation!r}; expected one of {list(ACTIVATIONS)}")
        self.input_dim, self.width, self.activation = input_dim, width, activation
        self.hidden = nn.Linear(input_dim, width, dtype=dtype, device=device)
        self.output = nn.Linear(width, 1, dtype=dtype, device=device)
        self.f = ACTIVATIONS[activation]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, D) -> P(label = 1) (B, 1); one sample (D,) -> (1,).

        Inputs of another dtype are converted to the network's: `torch.tensor([[-2.0, -1.0]])`
        (float32) or integers into the float64 network give its float64 output."""
        x = x.to(self.hidden.weight.dtype)
        h = self.f(self.hidden(x))
        return torch.sigmoid(self.output(h))

    # --- all parameters as one vector, in net221.init's order ---------------------

    def flat(self) -> np.ndarray:
        """Hidden weights neuron by neuron, output weights, hidden biases, output bias."""
        tensors = (self.hidden.weight, self.output.weight, self.hidden.bias, self.output.bias)
        return torch.cat([t.detach().reshape(-1) for t in tensors]).to("cpu", torch.float64).numpy()

    def load_flat(self, values: np.ndarray) -> None:
        """Set every parameter from a vector laid out as `flat()`."""
        d, h = self.input_dim, self.width
        flat = torch.as_tensor(np.asarray(values, dtype=np.float64))
        if flat.shape != (d * h + 2 * h + 1,):
            raise ValueError(f"expected {d * h + 2 * h + 1} values, got shape {tuple(flat.shape)}")
        parts = flat.split([d * h, h, h, 1])
        tensors = (self.hidden.weight, self.output.weight, self.hidden.bias, self.output.bias)
        with torch.no_grad():
            for tensor, part in zip(tensors, parts, strict=True):
                tensor.copy_(part.reshape(tensor.shape))

    # --- the blog's names ---------------------------------------------------------

    def _blog_tensors(self) -> dict[str, torch.Tensor]:
        if not has_blog_names(self.input_dim, self.width):
            raise ValueError(
                "blog names exist only for 2 inputs and width 2; "
                f"this network has {self.input_dim} inputs and width {self.width}"
            )
        return dict(self.named_parameters())

    def blog_parameters(self) -> dict[str, float]:
        """{w1: .., ..., b3: ..}."""
        tensors = self._blog_tensors()
        return {name: float(tensors[key].detach()[index]) for name, (key, index) in BLOG_PARAMETERS.items()}

    def blog_gradients(self) -> dict[str, float]:
        """dL/dθ by blog name after `loss.backward()`; a missing gradient reads as 0."""
        tensors = self._blog_tensors()
        gradients = {}
        for name, (key, index) in BLOG_PARAMETERS.items():
            grad = tensors[key].grad
            gradients[name] = 0.0 if grad is None else float(grad[index])
        return gradients

    def set_blog_parameters(self, values: Mapping[str, float]) -> None:
        """Set any of the nine by blog name; the others keep their values."""
        tensors = self._blog_tensors()
        unknown = sorted(set(values) - set(BLOG_NAMES))
        if unknown:
            raise ValueError(f"unknown parameter name(s) {unknown}; expected some of {list(BLOG_NAMES)}")
        with torch.no_grad():
            for name, value in values.items():
                key, index = BLOG_PARAMETERS[name]
                tensors[key][index] = float(value)

    def extra_repr(self) -> str:
        return f"activation={self.activation}"

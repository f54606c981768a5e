"""The blog's network as a PyTorch user would write it: the benchmark's anchor.

Two nn.Linear layers with sigmoids, torch.optim.SGD(lr=0.1), per-sample MSE,
1000 epochs in float64, the loss printed every 10 epochs, then Emily and Frank.
No net221 import: this is the script people put beside the project.

    python scripts/blog_torch.py
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)

# weight - 135 lb, height - 66 in; 1 = female
data = torch.tensor([[-2.0, -1.0], [25.0, 6.0], [17.0, 4.0], [-15.0, -6.0]])
all_y_trues = torch.tensor([[1.0], [0.0], [0.0], [1.0]])


class Network(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.hidden = nn.Linear(2, 2)
        self.output = nn.Linear(2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.output(torch.sigmoid(self.hidden(x))))


network = Network()
optimizer = torch.optim.SGD(network.parameters(), lr=0.1)

for epoch in range(1000):
    for x, y_true in zip(data, all_y_trues, strict=True):
        optimizer.zero_grad()
        loss = F.mse_loss(network(x), y_true)
        loss.backward()
        optimizer.step()
    if epoch % 10 == 0:
        with torch.no_grad():
            print(f"Epoch {epoch} loss: {F.mse_loss(network(data), all_y_trues).item():.3f}")

with torch.no_grad():
    emily, frank = network(torch.tensor([[-7.0, -3.0], [20.0, 2.0]]))
print(f"Emily: {emily.item():.3f}")
print(f"Frank: {frank.item():.3f}")

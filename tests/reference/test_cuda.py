"""The CUDA path (trainer.device=cuda|auto): the same numbers as the CPU, and outputs any machine reads.

These run only where torch sees a GPU; elsewhere `test_train.py` checks the one-line
error for trainer.device=cuda instead.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from net221.ensemble import ALONG_MEMBERS_FROM, Ensemble, MemberLoss
from net221.init import BLOG_NAMES, initial_parameters
from net221.loop import EpochPlan, train

from conftest import run_cli, train_in_process

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="torch sees no CUDA device here")

# GPU and CPU kernels (exp in the sigmoid, the order of a sum) may round differently
# by an ulp; over 4000 steps of this small network that stays far below this bound.
CPU_GPU_TOLERANCE = 1e-10


def blog_weights(run_dir: Path) -> dict[str, float]:
    weights: dict[str, float] = json.loads((run_dir / "summary.json").read_text())["blog_weights"]
    return weights


def test_the_blog_on_cuda_matches_the_cpu(tmp_path: Path) -> None:
    train_in_process(tmp_path / "cpu", "trainer.device=cpu")
    train_in_process(tmp_path / "cuda", "trainer.device=cuda")
    cpu, cuda = blog_weights(tmp_path / "cpu"), blog_weights(tmp_path / "cuda")
    assert max(abs(cpu[name] - cuda[name]) for name in BLOG_NAMES) <= CPU_GPU_TOLERANCE
    summary = json.loads((tmp_path / "cuda" / "summary.json").read_text())
    assert summary["device"].startswith("cuda")
    assert summary["final_loss"] < 0.01
    # the checkpoint holds CPU tensors (loaded without map_location), so a machine without a GPU can load it
    outer = torch.load(tmp_path / "cuda" / "checkpoint.pt", weights_only=True)
    checkpoint = torch.load(io.BytesIO(outer["content"].numpy().tobytes()), weights_only=True)
    assert all(t.device.type == "cpu" for t in checkpoint["state_dict"].values())


def test_auto_picks_cuda(tmp_path: Path) -> None:
    train_in_process(tmp_path, "trainer.device=auto", "trainer.epochs=20")
    assert json.loads((tmp_path / "summary.json").read_text())["device"].startswith("cuda")


def test_a_cuda_checkpoint_predicts(tmp_path: Path) -> None:
    train_in_process(tmp_path / "run", "trainer.device=cuda")
    result = run_cli(
        "net221-predict", f"checkpoint={tmp_path / 'run' / 'checkpoint.pt'}", "weight=128", "height=63",
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    probability, label = result.stdout.split()
    assert float(probability) > 0.9 and label == "female"


@pytest.mark.parametrize("optimizer", ["sgd", "momentum", "adam"])
def test_resume_on_cuda_matches_an_uninterrupted_run(tmp_path: Path, optimizer: str) -> None:
    common = ("trainer.device=cuda", f"optimizer={optimizer}", "trainer.shuffle=true", "trainer.seed=3")
    train_in_process(tmp_path / "full", *common, "trainer.epochs=400")
    train_in_process(tmp_path / "half", *common, "trainer.epochs=200")
    train_in_process(
        tmp_path / "resumed", *common, "trainer.epochs=400",
        f"trainer.resume={tmp_path / 'half' / 'checkpoint.pt'}",
    )  # fmt: skip
    full, resumed = blog_weights(tmp_path / "full"), blog_weights(tmp_path / "resumed")
    assert max(abs(full[name] - resumed[name]) for name in BLOG_NAMES) <= 1e-12


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_an_ensemble_on_cuda_matches_the_cpu(
    blog_tensors: tuple[torch.Tensor, torch.Tensor], dtype: torch.dtype
) -> None:
    x, y = blog_tensors
    initial = initial_parameters("normal", members=256, seed=11)
    results = {}
    for device in ("cpu", "cuda"):
        model = Ensemble(initial, dtype=dtype, device=device)
        train(
            model,
            torch.optim.SGD(model.parameters(), lr=0.1),
            MemberLoss(torch.nn.MSELoss(reduction="sum")),
            x.to(device, dtype),
            y.to(device, dtype),
            EpochPlan(300, log_every=50),
        )
        results[device] = model.flat()
    # float32 rounding differences grow along the trajectory; float64 stays at the ulp level
    tolerance = CPU_GPU_TOLERANCE if dtype == torch.float64 else 1e-3
    np.testing.assert_allclose(results["cuda"], results["cpu"], rtol=0, atol=tolerance)


@pytest.mark.parametrize("members", [ALONG_MEMBERS_FROM - 48, 2 * ALONG_MEMBERS_FROM])  # both forward routes
def test_seed_study_ensemble_on_cuda(tmp_path: Path, members: int) -> None:
    for device in ("cuda", "cpu"):
        train_in_process(
            tmp_path / device, "experiment=seed_study", f"trainer.members={members}", f"trainer.device={device}",
            "trainer.epochs=200",
        )  # fmt: skip
    cuda = (tmp_path / "cuda" / "members.csv").read_text().splitlines()
    cpu = (tmp_path / "cpu" / "members.csv").read_text().splitlines()
    assert len(cuda) == len(cpu) == members + 1
    cuda_loss = np.array([float(line.split(",")[2]) for line in cuda[1:]])
    cpu_loss = np.array([float(line.split(",")[2]) for line in cpu[1:]])
    np.testing.assert_allclose(cuda_loss, cpu_loss, rtol=0, atol=CPU_GPU_TOLERANCE)

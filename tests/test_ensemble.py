"""Seed ensembles: E networks in one module, each exactly the single run with its seed."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from net221.ensemble import EVAL_ELEMENTS, STEP_ELEMENTS, auto_chunk_size, train_members
from net221.init import initial_parameters
from net221.network import COLUMN_MEMBERS, Net221
from net221.app.report import main as report_main
from net221.trainer import Schedule, train

from conftest import run_cli, train_in_process


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open() as handle:
        return list(csv.DictReader(handle))


def test_each_member_is_exactly_the_single_network_with_its_seed(
    blog_tensors: tuple[torch.Tensor, torch.Tensor],
) -> None:
    x, y = blog_tensors
    members, seed = 8, 20
    ensemble = Net221(members=members, initial=initial_parameters("normal", members=members, seed=seed))
    train(ensemble, torch.optim.SGD(ensemble.parameters(), lr=0.1), F.mse_loss, x, y, Schedule(1000))
    for k in range(members):
        single = Net221(initial=initial_parameters("normal", seed=seed + k))
        train(single, torch.optim.SGD(single.parameters(), lr=0.1), F.mse_loss, x, y, Schedule(1000))
        gap = np.abs(ensemble.flat()[k] - single.flat()[0]).max()
        assert gap <= 1e-12, (k, gap)


def test_members_on_the_along_members_route_are_the_single_networks(
    blog_tensors: tuple[torch.Tensor, torch.Tensor],
) -> None:
    # from COLUMN_MEMBERS members on, the forward pass takes the other route
    x, y = blog_tensors
    members, seed = COLUMN_MEMBERS, 40
    ensemble = Net221(members=members, initial=initial_parameters("normal", members=members, seed=seed))
    train(ensemble, torch.optim.SGD(ensemble.parameters(), lr=0.1), F.mse_loss, x, y, Schedule(1000))
    for k in (0, 777, members - 1):
        single = Net221(initial=initial_parameters("normal", seed=seed + k))
        train(single, torch.optim.SGD(single.parameters(), lr=0.1), F.mse_loss, x, y, Schedule(1000))
        gap = np.abs(ensemble.flat()[k] - single.flat()[0]).max()
        assert gap <= 1e-12, (k, gap)


def test_chunks_give_the_same_result_as_one_chunk(blog_tensors: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, y = blog_tensors

    def run(chunk_size: int) -> np.ndarray:
        result = train_members(
            lambda first, count: Net221(members=count, initial=initial_parameters("normal", members=count, seed=first)),
            lambda model: torch.optim.Adam(model.parameters(), lr=0.05),
            F.mse_loss, x, y, Schedule(200, log_every=50), members=10, chunk_size=chunk_size,
        )  # fmt: skip
        assert result.loss.shape == (4, 10) and result.epochs == [0, 50, 100, 150]
        return np.concatenate([result.final_loss, result.loss.ravel(), result.best_model.flat()[0]])

    # equal up to rounding: vectorized kernels treat a member differently by its position in a chunk
    np.testing.assert_allclose(run(3), run(10), rtol=0, atol=1e-12)


def test_a_diverged_member_does_not_stop_the_others(blog_tensors: tuple[torch.Tensor, torch.Tensor]) -> None:
    x, y = blog_tensors
    initial = initial_parameters("normal", members=3, seed=1)
    initial[1, :2] = [1e308, -1e308]  # inf - inf for Bob: member 1's loss is NaN

    result = train_members(
        lambda first, count: Net221(members=count, initial=initial[first : first + count]),
        lambda model: torch.optim.SGD(model.parameters(), lr=0.1),
        F.mse_loss, x, y, Schedule(100), members=3, chunk_size=3,
    )  # fmt: skip
    assert np.isnan(result.final_loss[1]) and np.isfinite(result.final_loss[[0, 2]]).all()
    assert result.best_member in (0, 2)


def test_auto_chunk_size_bounds_the_per_step_and_evaluation_tensors() -> None:
    assert auto_chunk_size(members=10, rows=4, batch_size=1, width=2, input_dim=2) == 10
    blog = auto_chunk_size(members=10**6, rows=4, batch_size=1, width=2, input_dim=2)
    assert blog * 1 * 5 <= STEP_ELEMENTS < (blog + 1) * 5
    penguins = auto_chunk_size(members=10**6, rows=333, batch_size=16, width=2, input_dim=2)
    assert penguins == STEP_ELEMENTS // (16 * 5)
    assert auto_chunk_size(members=10**6, rows=10**5, batch_size=10**5, width=8, input_dim=2) == 1
    assert auto_chunk_size(members=10**6, rows=10**8, batch_size=1, width=2, input_dim=2) == 1
    # on a GPU only the evaluation tensors bound a chunk
    gpu = auto_chunk_size(members=10**7, rows=4, batch_size=1, width=2, input_dim=2, device_type="cuda")
    assert gpu == EVAL_ELEMENTS // (4 * 5) > blog
    assert auto_chunk_size(members=10, rows=4, batch_size=1, width=2, input_dim=2, device_type="cuda") == 10


@pytest.fixture(scope="module")
def ensemble_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    run_dir = tmp_path_factory.mktemp("ensemble")
    train_in_process(run_dir, "trainer.members=12", "trainer.seed=30", "trainer.chunk_size=5")
    return run_dir


def test_ensemble_outputs_are_consistent(ensemble_run: Path) -> None:
    rows = read_rows(ensemble_run / "members.csv")
    assert len(rows) == 12
    assert [int(r["seed"]) for r in rows] == list(range(30, 42))
    summary = json.loads((ensemble_run / "summary.json").read_text())
    ensemble = summary["ensemble"]
    converged = [r["converged"] == "1" for r in rows]
    assert ensemble["members"] == 12 and ensemble["converged"] == sum(converged)
    assert ensemble["convergence_rate"] == pytest.approx(sum(converged) / 12)
    assert all((float(r["final_loss"]) < 0.01) == c for r, c in zip(rows, converged, strict=True))
    losses = [float(r["final_loss"]) for r in rows]
    assert (
        ensemble["best_member"] == int(np.argmin(losses))
        and ensemble["best_seed"] == 30 + ensemble["best_member"]
    )
    assert summary["final_loss"] == pytest.approx(float(np.median(losses)))
    metrics = read_rows(ensemble_run / "metrics.csv")
    assert list(metrics[0]) == ["epoch", "loss", "accuracy", "loss_p10", "loss_p90"] and len(metrics) == 100
    assert all(float(m["loss_p10"]) <= float(m["loss"]) <= float(m["loss_p90"]) for m in metrics)
    assert (ensemble_run / "loss.png").is_file()


def test_a_member_is_reproduced_by_a_single_run(ensemble_run: Path, tmp_path: Path) -> None:
    rows = read_rows(ensemble_run / "members.csv")
    best = json.loads((ensemble_run / "summary.json").read_text())["ensemble"]["best_member"]
    for k in sorted({3, best}):
        train_in_process(tmp_path / str(k), f"trainer.seed={30 + k}")
        single = json.loads((tmp_path / str(k) / "summary.json").read_text())
        assert abs(single["final_loss"] - float(rows[k]["final_loss"])) <= 1e-12
    best_checkpoint = torch.load(ensemble_run / "checkpoint.pt", weights_only=True)["state_dict"]
    single_checkpoint = torch.load(tmp_path / str(best) / "checkpoint.pt", weights_only=True)["state_dict"]
    for key, tensor in best_checkpoint.items():
        assert torch.allclose(tensor, single_checkpoint[key], rtol=0, atol=1e-12), key


def test_the_best_member_checkpoint_predicts(ensemble_run: Path, tmp_path: Path) -> None:
    result = run_cli(
        "net221-predict",
        f"checkpoint={ensemble_run / 'checkpoint.pt'}",
        "weight=128",
        "height=63",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[1] == "female"


def test_ensembles_are_deterministic(ensemble_run: Path, tmp_path: Path) -> None:
    train_in_process(tmp_path / "again", "trainer.members=12", "trainer.seed=30", "trainer.chunk_size=5")
    for name in ("members.csv", "metrics.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (ensemble_run / name).read_bytes(), name
    train_in_process(tmp_path / "one_chunk", "trainer.members=12", "trainer.seed=30")
    one_chunk = [float(r["final_loss"]) for r in read_rows(tmp_path / "one_chunk" / "members.csv")]
    chunked = [float(r["final_loss"]) for r in read_rows(ensemble_run / "members.csv")]
    np.testing.assert_allclose(one_chunk, chunked, rtol=0, atol=1e-12)


def test_seed_study_sweep_reports_convergence_against_lr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sweep = tmp_path / "sweep"
    result = run_cli(
        "net221-train", "-m", "optimizer.lr=0.01,1", "experiment=seed_study", "trainer.members=200",
        "trainer.epochs=300", f"hydra.sweep.dir={sweep}", cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Converged (final loss < 0.01)" in result.stdout
    report_main([str(sweep)])
    out = capsys.readouterr().out
    header = next(line for line in out.splitlines() if line.startswith("| job"))
    assert "convergence_rate" in header
    rates = {r["optimizer.lr"]: float(r["convergence_rate"]) for r in read_rows(sweep / "report.csv")}
    assert rates["1"] > rates["0.01"]  # 300 epochs at lr 0.01 are far too few
    assert (sweep / "report.png").is_file()

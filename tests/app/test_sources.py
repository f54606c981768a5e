"""CSV tables, Palmer penguins, validation splits, mini-batches, and evaluation outputs."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from net221.app.checkpoint import load_checkpoint
from net221.app.sources import load_csv, split
from net221.data import BLOG_SHIFT, blog_dataset
from net221.derivation import blog_partials
from net221.errors import DataError
from net221.init import BLOG_NAMES
from net221.loop import EpochPlan, epoch_order, train

from conftest import NO_FIGURES, assert_one_line_error, network_from, run_in_process, train_in_process

START = dict(zip(BLOG_NAMES, [0.3, -1.2, 0.8, 0.5, -0.4, 1.1, -0.2, 0.6, 0.05], strict=True))


def write_table(path: Path, rows: list[list[object]], header: list[str] | None = None) -> Path:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or ["name", "a", "b", "c", "label"])
        writer.writerows(rows)
    return path


def two_clusters(count: int, seed: int = 0) -> list[list[object]]:
    """Rows of a table where label 'yes' sits around (10, 100, 1) and 'no' around (14, 80, 3)."""
    rng = np.random.default_rng(seed)
    rows: list[list[object]] = []
    for i in range(count):
        positive = i % 2 == 0
        centre = (10.0, 100.0, 1.0) if positive else (14.0, 80.0, 3.0)
        a, b, c = (rng.normal(m, s) for m, s in zip(centre, (1.0, 8.0, 0.5), strict=True))
        rows.append([f"r{i}", round(a, 3), round(b, 3), round(c, 3), "yes" if positive else "no"])
    return rows


CSV_ARGS = ["data=csv", "data.features=[a,b]", "data.target=label", "data.positive=yes"]


def test_csv_round_trip_train_then_predict_in_raw_units(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    table = write_table(tmp_path / "people.csv", two_clusters(80))
    run_dir = tmp_path / "run"
    # 30 epochs of 60 rows already separate the clusters (validation accuracy and ROC AUC 1.0)
    train_in_process(run_dir, *CSV_ARGS, f"data.path={table}", "trainer.epochs=30", "data.val_fraction=0.25")
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["evaluation"]["train"]["rows"] == 60 and summary["evaluation"]["val"]["rows"] == 20
    assert summary["evaluation"]["val"]["accuracy"] >= 0.9
    assert summary["evaluation"]["val"]["roc_auc"] >= 0.95
    assert summary["objective"] == summary["final_val_loss"]
    assert "predictions" not in summary  # Emily and Frank are the blog's people
    rows = list(csv.DictReader((run_dir / "metrics.csv").open()))
    assert list(rows[0]) == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy"]

    checkpoint = load_checkpoint(run_dir / "checkpoint.pt")
    assert checkpoint["data"]["features"] == ["a", "b"]
    assert checkpoint["data"]["label_names"] == ["no", "yes"]
    # standardize: the training split's mean and std, in the checkpoint
    loaded = load_csv(table, ["a", "b"], "label", "yes")
    train_rows, _ = split(loaded.dataset, 0.25, 0)
    np.testing.assert_allclose(checkpoint["data"]["normalization"]["shift"], train_rows.features.mean(axis=0))
    np.testing.assert_allclose(checkpoint["data"]["normalization"]["scale"], train_rows.features.std(axis=0))

    for raw, expected in (("+a=10 +b=100", "yes"), ("+a=14 +b=80", "no"), ("x=[9.5,104]", "yes")):
        result = run_in_process(
            "net221-predict", f"checkpoint={run_dir / 'checkpoint.pt'}", *raw.split(), cwd=tmp_path
        )
        probability, label = result.stdout.split()
        assert label == expected and (float(probability) > 0.5) == (expected == "yes")
    assert (run_dir / "decision_boundary.png").is_file()


@pytest.mark.parametrize("features", [["a"], ["a", "b", "c"]])
def test_any_number_of_features_widens_the_input(tmp_path: Path, features: list[str]) -> None:
    table = write_table(tmp_path / "t.csv", two_clusters(40))
    args = [*CSV_ARGS[:1], f"data.features=[{','.join(features)}]", *CSV_ARGS[2:]]
    train_in_process(tmp_path / "run", *args, f"data.path={table}", "trainer.epochs=20", "model.width=3")
    checkpoint = load_checkpoint(tmp_path / "run" / "checkpoint.pt")
    assert checkpoint["model"]["input_dim"] == len(features)
    assert checkpoint["state_dict"]["hidden.weight"].shape == (3, len(features))
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["final_accuracy"] >= 0.85
    assert "blog_weights" not in summary
    assert (tmp_path / "run" / "decision_boundary.png").exists() == (len(features) == 2)


def bad_tables(tmp: Path) -> dict[str, tuple[Path, list[str], list[str]]]:
    """name -> (file, extra overrides, fragments the error line must contain)."""
    good = two_clusters(10)
    cases: dict[str, tuple[Path, list[str], list[str]]] = {}
    cases["missing file"] = (tmp / "absent.csv", [], ["absent.csv", "no such file"])
    (tmp / "empty.csv").write_text("")
    cases["empty file"] = (tmp / "empty.csv", [], ["empty.csv", "the file is empty"])
    write_table(tmp / "header.csv", [])
    cases["header only"] = (tmp / "header.csv", [], ["header.csv", "no data rows"])
    write_table(tmp / "nocol.csv", [r[:2] + r[3:] for r in good], ["name", "a", "c", "label"])
    cases["missing column"] = (
        tmp / "nocol.csv",
        [],
        ["nocol.csv", "no column 'b'", "columns: name, a, c, label"],
    )
    rows = [list(r) for r in good]
    rows[3][2] = "tall"
    write_table(tmp / "text.csv", rows)
    cases["non-numeric value"] = (
        tmp / "text.csv",
        [],
        ["text.csv", "line 5", "column 'b'", "'tall' is not a number"],
    )
    rows = [list(r) for r in good]
    rows[6][1] = "inf"
    write_table(tmp / "inf.csv", rows)
    cases["infinite value"] = (tmp / "inf.csv", [], ["inf.csv", "line 8", "column 'a'", "infinite"])
    rows = [list(r) for r in good]
    rows[0][4] = "maybe"
    write_table(tmp / "three.csv", rows)
    cases["three classes"] = (tmp / "three.csv", [], ["three.csv", "column 'label'", "3 distinct values"])
    write_table(tmp / "one.csv", [[*r[:4], "yes"] for r in good])
    cases["one class"] = (tmp / "one.csv", [], ["one.csv", "only one class present ('yes')"])
    write_table(tmp / "small.csv", good[:3])
    cases["too few rows for the split"] = (
        tmp / "small.csv",
        ["data.val_fraction=0.5"],
        ["3 rows are too few", "val_fraction=0.5"],
    )
    rows = [list(r) for r in good]
    rows[2][1] = "NA"
    write_table(tmp / "na.csv", rows)
    cases["missing value, on_missing=error"] = (
        tmp / "na.csv",
        ["data.on_missing=error"],
        ["na.csv", "line 4", "column 'a'", "missing value"],
    )
    write_table(tmp / "positive.csv", good)
    cases["positive not a value"] = (
        tmp / "positive.csv",
        ["data.positive=female"],
        ["data.positive='female'", "values: 'no', 'yes'"],
    )
    (tmp / "binary.csv").write_bytes(b"\xff\xfe\x00garbage\x00\xff")
    cases["not text"] = (tmp / "binary.csv", [], ["binary.csv", "not a UTF-8 text file"])
    return cases


CASE_NAMES = [
    "missing file", "empty file", "header only", "missing column", "non-numeric value", "infinite value",
    "three classes", "one class", "too few rows for the split", "missing value, on_missing=error",
    "positive not a value", "not text",
]  # fmt: skip


# Two cases go through net221-train's main() in this process, for the one line on stderr and the
# exit status 2 the user gets; the others go straight to the task (no Hydra run around it: half
# the cost) and must be refused with a one-line DataError, which main() prints as that line.
# Bad input through a real child process: test_outputs.py (two at once, one of them `python -m`).
THROUGH_THE_COMMAND = ("missing file", "too few rows for the split")


@pytest.mark.parametrize("case", CASE_NAMES)
def test_bad_csv_is_one_line_through_the_app(tmp_path: Path, case: str) -> None:
    path, extra, fragments = bad_tables(tmp_path)[case]
    overrides = [*CSV_ARGS, f"data.path={path}", *extra]
    if case in THROUGH_THE_COMMAND:
        result = run_in_process("net221-train", *overrides, f"hydra.run.dir={tmp_path}/run", cwd=tmp_path)
        assert_one_line_error(result, "net221-train", *fragments)
    else:
        with pytest.raises(DataError) as refused:
            train_in_process(tmp_path / "run", *overrides)
        message = str(refused.value)
        assert "\n" not in message, message
        for fragment in fragments:
            assert fragment in message, (fragment, message)
    assert not (tmp_path / "run" / "metrics.csv").exists()


def test_missing_values_are_dropped_and_counted(tmp_path: Path) -> None:
    rows = two_clusters(20)
    rows[1][1] = ""
    rows[5][2] = "NaN"
    rows[7][4] = "NA"
    table = write_table(tmp_path / "gaps.csv", rows)
    loaded = load_csv(table, ["a", "b"], "label", "yes")
    assert loaded.dropped == 3 and len(loaded.dataset) == 17
    assert "r1" not in loaded.dataset.names and "r0" in loaded.dataset.names
    run_dir = tmp_path / "run"
    train_in_process(run_dir, *CSV_ARGS, f"data.path={table}", "trainer.epochs=5", NO_FIGURES)
    assert (run_dir / "summary.json").is_file()


@pytest.mark.parametrize(
    ("spelling", "no", "given"), [("true", "false", "true"), ("True", "False", "true"), ("1", "0", "1")]
)
def test_a_spreadsheets_table_numbered_columns_and_true_false_labels(
    tmp_path: Path, spelling: str, no: str, given: str
) -> None:
    # as a spreadsheet saves it: columns named 1 and 2, empty columns at the end, labels true/false;
    # on the command line Hydra reads 1 as a number and true as a boolean
    rows = [[a, b, spelling if label == "yes" else no, "", ""] for _, a, b, _, label in two_clusters(12)]
    table = write_table(tmp_path / "sheet.csv", rows, header=["1", "2", "y", "", ""])
    args = [
        "data=csv",
        f"data.path={table}",
        "data.features=[1,2]",
        "data.target=y",
        f"data.positive={given}",
    ]
    train_in_process(tmp_path / "run", *args, "trainer.epochs=2", NO_FIGURES)
    data = load_checkpoint(tmp_path / "run" / "checkpoint.pt")["data"]
    assert (data["features"], data["label_names"]) == (["1", "2"], [no, spelling])
    with pytest.raises(DataError, match=r"no column ''"):  # an unnamed column is never read
        train_in_process(tmp_path / "unnamed", *args[:2], "data.features=[1,'']", *args[3:], NO_FIGURES)


def test_split_is_seeded_and_stratified() -> None:
    rows = two_clusters(40)
    dataset = blog_dataset().__class__(
        names=tuple(str(r[0]) for r in rows),
        features=np.array([[r[1], r[2]] for r in rows], dtype=float),
        labels=np.array([1.0 if r[4] == "yes" else 0.0 for r in rows]),
        feature_names=("a", "b"),
    )
    train_a, val_a = split(dataset, 0.25, seed=1)
    _, val_b = split(dataset, 0.25, seed=1)
    _, val_c = split(dataset, 0.25, seed=2)
    assert val_a is not None and val_b is not None and val_c is not None
    assert val_a.names == val_b.names and val_a.names != val_c.names
    assert len(val_a) == 10 and val_a.labels.sum() == 5  # 25 % of each class
    assert set(train_a.names).isdisjoint(val_a.names) and len(train_a) + len(val_a) == 40
    with pytest.raises(DataError, match="too few"):
        split(dataset.subset([0, 1, 2]), 0.5, seed=0)


def test_penguins_train_above_a_stated_accuracy(tmp_path: Path) -> None:
    pytest.importorskip("palmerpenguins", reason="the optional [penguins] extra is not installed")
    run_dir = tmp_path / "run"
    train_in_process(run_dir, "experiment=penguins")
    summary = json.loads((run_dir / "summary.json").read_text())
    evaluation = summary["evaluation"]
    assert evaluation["train"]["rows"] + evaluation["val"]["rows"] == 333  # 344 rows, 11 with NA dropped
    assert evaluation["val"]["accuracy"] >= 0.8
    assert evaluation["val"]["roc_auc"] >= 0.9
    assert (run_dir / "decision_boundary.png").read_bytes()[:4] == b"\x89PNG"


def full_batch_step_by_hand(
    params: dict[str, float], x: np.ndarray, y: np.ndarray, lr: float
) -> dict[str, float]:
    grads = [
        blog_partials(**params, x1=float(a), x2=float(b), y_true=float(t))
        for (a, b), t in zip(x, y, strict=True)
    ]
    return {name: params[name] - lr * float(np.mean([g[name] for g in grads])) for name in BLOG_NAMES}


@pytest.mark.parametrize("batch_size", [2, 4, 100])
def test_mini_and_full_batches_average_the_hand_gradients(batch_size: int) -> None:
    people = blog_dataset()
    x = people.features - np.array(BLOG_SHIFT)
    y = people.labels
    model = network_from(START)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    train(
        model,
        optimizer,
        torch.nn.MSELoss(),
        torch.from_numpy(x),
        torch.from_numpy(y).reshape(-1, 1),
        EpochPlan(3, batch_size),
    )
    expected = dict(START)
    size = min(batch_size, 4)
    for _ in range(3):
        for start in range(0, 4, size):
            expected = full_batch_step_by_hand(
                expected, x[start : start + size], y[start : start + size], 0.1
            )
    got = model.blog_parameters()
    assert max(abs(got[name] - expected[name]) for name in BLOG_NAMES) <= 1e-12


def test_shuffled_epochs_are_seeded_permutations() -> None:
    orders = [epoch_order(10, data_seed=3, epoch=e) for e in range(4)]
    assert all(sorted(order) == list(range(10)) for order in orders)
    assert not all(np.array_equal(orders[0], other) for other in orders[1:])
    np.testing.assert_array_equal(epoch_order(10, 3, 2), orders[2])
    assert not np.array_equal(epoch_order(10, 4, 2), orders[2])


def test_shuffled_mini_batches_train_the_blog(tmp_path: Path) -> None:
    # 200 epochs (400 steps) are enough to converge by the project's measure (trainer.converged_below)
    train_in_process(
        tmp_path,
        "trainer.batch_size=2",
        "trainer.shuffle=true",
        "optimizer.lr=0.5",
        "trainer.epochs=200",
        NO_FIGURES,
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert (
        summary["final_accuracy"] == 1.0
        and summary["final_loss"] < 0.01
        and summary["predictions"]["Emily"] > 0.5 > summary["predictions"]["Frank"]
    )


def test_emily_and_frank_are_predicted_for_the_blogs_data_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A table of one's own in the blog's columns is other data: no predictions for the blog's people."""
    people = tmp_path / "people.csv"
    people.write_text(
        "name,weight,height,gender\nAlice,133,65,F\nBob,160,72,M\nCharlie,152,70,M\nDiana,120,63,F\n"
    )
    own = ["data=csv", f"data.path={people}", "data.target=gender", "data.positive=F", "trainer.epochs=2"]
    with caplog.at_level("INFO", logger="net221"):
        train_in_process(tmp_path / "own", *own, NO_FIGURES)
    own_log, _ = caplog.text, caplog.clear()
    with caplog.at_level("INFO", logger="net221"):
        train_in_process(tmp_path / "blog", "trainer.epochs=2", NO_FIGURES)
    own_summary = json.loads((tmp_path / "own" / "summary.json").read_text())
    blog_summary = json.loads((tmp_path / "blog" / "summary.json").read_text())
    assert "predictions" not in own_summary and "Emily:" not in own_log
    assert set(blog_summary["predictions"]) == {"Emily", "Frank"} and "Emily:" in caplog.text

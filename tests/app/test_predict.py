"""net221-predict in-process: one row, a CSV file of rows, its help's examples and its errors."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from net221 import __version__
from net221.app.predict import csv_rows, one_row
from net221.errors import UserError

from conftest import NO_FIGURES, assert_help_begins, assert_one_line_error, run_in_process, train_in_process

PROG = "net221-predict"


@pytest.fixture(scope="module")
def blog_run(blog_command: tuple[subprocess.CompletedProcess[str], Path]) -> Path:
    """The blog's run (1000 epochs; conftest's `blog_command`): Emily 0.949 female, Frank 0.040 male."""
    return blog_command[1]


def predictions(run_dir: Path) -> dict[str, float]:
    found: dict[str, float] = json.loads((run_dir / "summary.json").read_text())["predictions"]
    return found


def test_the_examples_in_the_help_print_what_they_show(blog_run: Path, tmp_path: Path) -> None:
    shown = run_in_process(PROG, "--help", cwd=tmp_path)
    assert_help_begins(
        shown, "net221-predict: the probability (of label 1)", "  $ net221-predict checkpoint="
    )
    assert "checkpoint=PATH is required" in shown.stdout.replace("\n", " ")
    lines = shown.stdout.splitlines()
    examples = [
        (line.strip(), lines[i + 1].strip()) for i, line in enumerate(lines) if line.startswith("  $ ")
    ]
    assert len(examples) == 2
    for command, printed in examples:
        words = command.removeprefix(f"$ {PROG} ").split()
        words = [
            f"checkpoint={blog_run / 'checkpoint.pt'}" if w.startswith("checkpoint=") else w for w in words
        ]
        result = run_in_process(PROG, *words, cwd=tmp_path)
        assert (result.returncode, result.stdout, result.stderr) == (0, printed + "\n", ""), command
    people = predictions(blog_run)
    assert [printed for _, printed in examples] == [
        f"{people['Emily']:.3f} female",
        f"{people['Frank']:.3f} male",
    ]
    version = run_in_process(PROG, "--version", cwd=tmp_path)
    assert version.stdout == f"net221 {__version__}\n"


def test_a_csv_file_of_rows_gets_every_probability_in_a_file_and_a_table(
    blog_run: Path, tmp_path: Path
) -> None:
    people = tmp_path / "people.csv"
    rows = [("Emily", 128, 63), ("Frank", 155, 68)] + [(f"p{i}", 110 + 5 * i, 60 + i) for i in range(10)]
    people.write_text("name,height,weight,note\n" + "".join(f"{n},{h},{w},x\n" for n, w, h in rows))
    result = run_in_process(PROG, f"checkpoint={blog_run / 'checkpoint.pt'}", "csv=people.csv", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["name", "weight", "height", "P(female)", "label"]  # the checkpoint's order
    expected = predictions(blog_run)
    assert lines[1].split() == ["Emily", "128", "63", f"{expected['Emily']:.3f}", "female"]
    assert lines[2].split() == ["Frank", "155", "68", f"{expected['Frank']:.3f}", "male"]
    assert lines[11:] == ["... and 2 more rows (12 in all)", "Predictions: people.predictions.csv"]
    with (tmp_path / "people.predictions.csv").open() as handle:
        written = list(csv.DictReader(handle))
    assert len(written) == 12 and written[0]["note"] == "x"  # every column kept, every digit
    assert float(written[0]["probability"]) == pytest.approx(expected["Emily"], abs=1e-12)
    assert float(written[1]["probability"]) == pytest.approx(expected["Frank"], abs=1e-12)
    assert [row["predicted_label"] for row in written[:2]] == ["female", "male"]
    # heavier and taller is less likely female: the probabilities fall along the ten generated rows
    generated = [float(row["probability"]) for row in written[2:]]
    assert generated == sorted(generated, reverse=True) and generated[0] > 0.5 > generated[-1]

    out = tmp_path / "elsewhere.csv"
    again = run_in_process(
        PROG, f"checkpoint={blog_run / 'checkpoint.pt'}", "csv=people.csv", f"out={out}", cwd=tmp_path
    )
    assert again.returncode == 0 and again.stdout.endswith(f"Predictions: {out.name}\n")
    assert out.read_text() == (tmp_path / "people.predictions.csv").read_text()


@pytest.mark.parametrize(
    ("table", "words", "fragments"),
    [
        ("name,weight\nA,120\n", [], ["bad.csv: no column 'height'"]),
        ("weight,height\n120,63\n130,abc\n", [], ["bad.csv, line 3, column 'height': 'abc' is not a number"]),
        ("weight,height\n120,63\n", ["weight=3"], ["not both (got weight, csv)"]),
        (None, ["out=x.csv"], ["give csv=FILE [out=FILE] or one row's features, not both (got out)"]),
        ("weight,height\n128,63\n", ["out=./bad.csv"], ["out=./bad.csv: the file csv= names"]),
        (None, ["weight=128", "+age=3"], ["missing height=VALUE: the network takes weight, height"]),
        (
            None,
            ["weight=128", "height=63", "+age=3"],
            ["age: not a feature of this network; the network takes"],
        ),
        (None, ["x=[1,2,3]"], ["x=[...] takes all of weight, height"]),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(
    blog_run: Path, tmp_path: Path, table: str | None, words: list[str], fragments: list[str]
) -> None:
    if table is not None:
        (tmp_path / "bad.csv").write_text(table)
        words = [*words, "csv=bad.csv"]
    result = run_in_process(PROG, f"checkpoint={blog_run / 'checkpoint.pt'}", *words, cwd=tmp_path)
    assert_one_line_error(result, PROG, *fragments)
    assert sorted(path.name for path in tmp_path.iterdir()) == (["bad.csv"] if table is not None else [])


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("weight,height\n120,\n", "bad.csv, line 2, column 'height': missing value"),
        ("weight,height\n120,63\n\n-120,63\n", "bad.csv, line 4, column 'weight': -120: must be > 0"),
        ("weight,height\n1e400,63\n", "bad.csv, line 2, column 'weight': infinite value '1e400'"),
        ("height,weight\n63,NaN\n", "bad.csv, line 2, column 'weight': missing value"),
        ("weight,height\n128,63,\n128,63,note\n", "bad.csv, line 3: 3 cells, and the header names 2 columns"),
    ],
)
def test_a_bad_cell_names_its_line_and_column(tmp_path: Path, table: str, message: str) -> None:
    (tmp_path / "bad.csv").write_text(table)
    with pytest.raises(UserError) as error:
        csv_rows(tmp_path / "bad.csv", ["weight", "height"])
    assert str(error.value) == f"{tmp_path / 'bad.csv'}{message.removeprefix('bad.csv')}"


def test_one_row_by_name_or_as_a_list() -> None:
    features = ["weight", "height"]
    assert one_row({"height": 63, "weight": 128.5}, features) == [128.5, 63.0]
    assert one_row({"x": [155, 68]}, features) == [155.0, 68.0]
    with pytest.raises(UserError, match=r"^weight=0: must be > 0$"):
        one_row({"weight": 0.0, "height": 63.0}, features)
    with pytest.raises(UserError, match=r"^age='old': must be a finite number$"):
        one_row({"age": "old"}, ["age"])
    assert one_row({"age": -3}, ["age"]) == [-3.0]  # only the blog's measures must be > 0
    with pytest.raises(UserError, match=r"^weight=-1: must be > 0$"):  # the features in their order
        one_row({"height": float("nan"), "weight": -1}, features)


def test_the_checkpoint_is_required_and_checked(tmp_path: Path) -> None:
    missing = run_in_process(PROG, "weight=128", "height=63", cwd=tmp_path)
    assert_one_line_error(missing, PROG, "checkpoint=PATH is required")
    (tmp_path / "not.pt").write_text("not a checkpoint")
    wrong = run_in_process(PROG, "checkpoint=not.pt", "weight=128", "height=63", cwd=tmp_path)
    assert_one_line_error(wrong, PROG, "checkpoint 'not.pt': not a readable checkpoint")


def test_values_too_large_for_the_network_are_one_line(tmp_path: Path) -> None:
    # w1 x1 + w2 x2 = inf - inf: the network's output is nan, which no label may be given to
    values = "{w1: 2, w2: -2, w3: 1, w4: 1, w5: 1, w6: 1, b1: 0, b2: 0, b3: 0}"
    train_in_process(tmp_path / "run", "trainer.epochs=1", f"init.values={values}", NO_FIGURES)
    checkpoint = f"checkpoint={tmp_path / 'run' / 'checkpoint.pt'}"
    one = run_in_process(PROG, checkpoint, "weight=1e308", "height=1e308", cwd=tmp_path)
    assert_one_line_error(one, PROG, "weight=1e+308 height=1e+308: too large for this network")
    (tmp_path / "big.csv").write_text("weight,height\n128,63\n1e308,1e308\n")
    rows = run_in_process(PROG, checkpoint, "csv=big.csv", cwd=tmp_path)
    assert_one_line_error(rows, PROG, "big.csv, line 3: too large for this network (its output is nan)")
    assert not (tmp_path / "big.predictions.csv").exists()

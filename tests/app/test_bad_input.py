"""Hostile input, table by table: each bad value, file or checkpoint is refused in one line.

Every kind is tested in this process, case by case, and once through the command's main()
(`run_in_process`): the one line on stderr and the exit status 2 the user gets. Each installed
command runs in a child process in its own test file (net221-train's bad value: two at once in
test_outputs.py, one of them `python -m`); here only net221-report does, as no
other test starts it.
"""

from __future__ import annotations

import csv
import logging
import os
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import torch

from net221.app.checkpoint import FORMAT, Saver, load_checkpoint, model_from, save_checkpoint
from net221.app.experiment import build_experiment
from net221.app.report import read_jobs
from net221.app.run import train_seed_study, train_single
from net221.app.sources import load_csv
from net221.errors import CheckpointError, UserError
from net221.loop import TrainingStopped
from net221.seed_study import StudyState

from conftest import (
    NO_FIGURES,
    assert_one_line_error,
    compose_config,
    run_cli,
    run_in_process,
    train_in_process,
)

BLOG_ROWS = [
    ["Alice", 133, 65, "F"],
    ["Bob", 160, 72, "M"],
    ["Charlie", 152, 70, "M"],
    ["Diana", 120, 60, "F"],
]


def one_line_refusal(run: Callable[[], Any], *fragments: str) -> str:
    with pytest.raises(UserError) as refused:
        run()
    message = str(refused.value)
    assert "\n" not in message and "Traceback" not in message, message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    return message


# --- config values ------------------------------------------------------------------------

F32 = "trainer.dtype=float32"
CONFIG_CASES: dict[str, tuple[list[str], list[str]]] = {
    # keys added with + that nothing takes
    "+trainer.epoch": (["+trainer.epoch=5"], ["trainer.epoch=5: unknown key; did you mean trainer.epochs?"]),
    "+init.scale": (["+init.scale=2"], ["init.scale=2: unknown key"]),
    "+trainer._partial_": (["+trainer._partial_=true"], ["trainer._partial_=True: unknown key"]),
    "normalize mode": (
        ["data.normalize=zscore", "data.val_fraction=0.9"],  # the mode is named before the split's problem
        ["data.normalize='zscore': expected one of blog, mean, standardize, none"],
    ),
    "+model.depth": (["+model.depth=3"], ["model.depth=3: unknown key; did you mean model.width?"]),
    "+optimizer.bogus": (["+optimizer.bogus=1"], ["optimizer.bogus=1: unknown key; torch.optim.SGD takes"]),
    "+loss.margin": (["+loss.margin=1"], ["loss.margin=1: unknown key; torch.nn.MSELoss takes"]),
    "+data.shuffle": (["+data.shuffle=true"], ["data.shuffle=True: unknown key"]),
    # settings the chosen data source would ignore
    "blog +data.positive": (["+data.positive=M"], ["data.positive='M': unknown key", "sources.blog takes"]),
    "blog +data.target": (["+data.target=gender"], ["data.target='gender': unknown key"]),
    "blog data.features": (["data.features=[height]"], ["data=blog has the features weight and height only"]),
    "penguins +data.path": (["data=penguins", "+data.path=x.csv"], ["data.path='x.csv': unknown key"]),
    # targets that fail when they are called
    "optimizer LBFGS": (
        ["optimizer._target_=torch.optim.LBFGS", "~optimizer.momentum", "~optimizer.weight_decay"],
        ["optimizer: torch.optim.LBFGS fails in a training step", "closure"],
    ),
    "optimizer SparseAdam": (
        ["optimizer._target_=torch.optim.SparseAdam", "~optimizer.momentum", "~optimizer.weight_decay"],
        ["optimizer: torch.optim.SparseAdam fails in a training step"],
    ),
    "optimizer not a class": (
        ["optimizer._target_=torch.optim.NoSuchThing"],
        ["optimizer: cannot build 'torch.optim.NoSuchThing'"],
    ),
    "model module not found": (
        ["model._target_=my_missing_net.MyNet", "~model.width", "~model.activation"],
        [
            "model: cannot build 'my_missing_net.MyNet': ModuleNotFoundError: No module named 'my_missing_net';"
            " a module in this directory needs PYTHONPATH=."
        ],
    ),
    "optimizer not an optimizer": (
        ["optimizer._target_=torch.nn.Identity"],
        ["optimizer: torch.nn.Identity did not build a torch.optim.Optimizer"],
    ),
    "loss NLLLoss": (["loss._target_=torch.nn.NLLLoss"], ["loss: torch.nn.NLLLoss is not a torch loss"]),
    "loss CrossEntropyLoss": (
        ["loss._target_=torch.nn.CrossEntropyLoss"],
        ["loss: torch.nn.CrossEntropyLoss fails in a training step"],
    ),
    "loss print": (["loss._target_=builtins.print"], ["loss: builtins.print is not a torch loss"]),
    "model of the wrong shape": (
        [
            "model._target_=torch.nn.Linear",
            "+model.in_features=2",
            "+model.out_features=3",
            "~model.input_dim",
            "~model.width",
            "~model.activation",
        ],
        ["model: torch.nn.Linear returns (1, 3) for a batch of (1, 2); expected (1, 1)"],
    ),
    # values that overflow (or vanish in) the chosen dtype
    "lr 1e300 float32": (["optimizer.lr=1e300", F32], ["optimizer.lr=1e+300: does not fit in float32"]),
    "momentum 1e300 float32": (
        ["optimizer.momentum=1e300", F32],
        ["optimizer.momentum=1e+300: does not fit"],
    ),
    "weight_decay inf": (["optimizer.weight_decay=inf"], ["optimizer.weight_decay=inf: must be a finite"]),
    "adam eps 1e-50 float32": (
        ["optimizer=adam", "optimizer.eps=1e-50", F32],
        ["optimizer.eps=1e-50: rounds to 0"],
    ),
    "adam betas float32": (
        ["optimizer=adam", "optimizer.betas=[0.9,1e39]", F32],
        ["optimizer.betas[1]=1e+39: does not fit in float32"],
    ),
    "init value 1e300 float32": (
        ["init.values={w1:1e300,w2:1,w3:1,w4:1,w5:1,w6:1,b1:0,b2:0,b3:0}", F32],
        ["init.values.w1=1e+300: does not fit in float32"],
    ),
    "noise_std float32": (
        ["init.scheme=zeros_noise", "init.noise_std=1e39", F32],
        ["init.noise_std=1e+39: does not fit in float32"],
    ),
    # seeds outside [0, 2^63), member seeds that would wrap
    "seed -1": (["trainer.seed=-1"], ["trainer.seed=-1", "[0, 2^63)"]),
    "seed 2^63": (["trainer.seed=9223372036854775808"], ["trainer.seed=9223372036854775808"]),
    "seed 2^63-1, 2 members": (
        ["trainer.seed=9223372036854775807", "trainer.members=2"],
        ["trainer.seed=9223372036854775807", "[0, 2^63)"],
    ),
    "member seeds wrap": (
        ["trainer.seed=9223372036854775000", "trainer.members=1000"],
        ["trainer.seed=9223372036854775000: member seeds seed..seed+999 must lie in [0, 2^63)"],
    ),
    "data seed -1": (["data.seed=-1"], ["data.seed=-1: must be an integer in [0, 2^63)"]),
    "data seed 2^64": (["data.seed=18446744073709551616"], ["data.seed=18446744073709551616"]),
    # trainer settings of this feature
    "checkpoint_every 0": (["trainer.checkpoint_every=0"], ["trainer.checkpoint_every=0: must be >= 1"]),
    "val_fraction takes a class": (
        ["data.val_fraction=0.75"],
        ["data.val_fraction=0.75: it takes all 2 row(s) of class 0, and each class needs one for training"],
    ),
    "converged_below inf": (
        ["trainer.converged_below=inf"],
        ["trainer.converged_below=inf: must be a finite"],
    ),
    "resume a directory": (["trainer.resume=/"], ["trainer.resume='/': not a regular file"]),
    "resume a name too long": ([f"trainer.resume={'x' * 300}.pt"], [".pt': File name too long"]),
    "features a word": (["data.features=weight"], ["data.features='weight': expected a list of column"]),
    "features a number": (["data.features=1"], ["data.features=1: expected a list of column"]),
}


# One case of each kind goes through net221-train's main() instead of straight to the task:
# the same refusal, as the one line on stderr and the exit status 2 the user gets.
THROUGH_THE_COMMAND = {
    "+trainer.epoch",
    "blog +data.positive",
    "optimizer LBFGS",
    "lr 1e300 float32",
    "seed 2^63-1, 2 members",
    "resume a name too long",
    "model module not found",
    "features a number",
}


@pytest.mark.parametrize("case", list(CONFIG_CASES))
def test_a_bad_config_value_is_one_line(case: str, tmp_path: Path) -> None:
    overrides, fragments = CONFIG_CASES[case]
    if case in THROUGH_THE_COMMAND:
        result = run_in_process(
            "net221-train", "trainer.epochs=3", *overrides, f"hydra.run.dir={tmp_path}", cwd=tmp_path
        )
        assert_one_line_error(result, "net221-train", *fragments)
        assert "Error" not in result.stdout  # nothing else says it, a library's log included
    else:
        one_line_refusal(lambda: train_in_process(tmp_path, "trainer.epochs=3", *overrides), *fragments)
    assert not (tmp_path / "metrics.csv").exists() and not (tmp_path / "checkpoint.pt").exists()
    assert (tmp_path / "error.txt").read_text().count("\n") == 1


def test_a_csv_value_that_overflows_float32_is_one_line(tmp_path: Path) -> None:
    table = tmp_path / "big.csv"
    table.write_text("a,b,label\n1e39,1,x\n2,3,y\n4,5,x\n")
    args = ["data=csv", f"data.path={table}", "data.features=[a,b]", "data.target=label", "data.positive=x"]
    one_line_refusal(
        lambda: train_in_process(tmp_path, *args, "data.normalize=none", F32),
        "data: feature 'a' has values too large for float32",
    )
    table.write_text("a,b,label\n1e308,1,x\n-1e308,3,y\n1e308,5,x\n")
    one_line_refusal(lambda: train_in_process(tmp_path, *args), "feature 'a' has values too large to average")


# --- checkpoints: a file that is not a whole net221 checkpoint is refused ------------------


STUDY = ["trainer.epochs=20", "trainer.members=6", "trainer.chunk_size=4"]


def unfinished_study(path: Path) -> None:
    """The checkpoint a seed study writes when it stops in its second chunk, at step 2 of epoch 6
    (the blog: 4 steps an epoch; the first chunk takes 80)."""
    experiment = build_experiment(compose_config(*STUDY))
    saver = Saver(path, compose_config(*STUDY), experiment.data)
    steps = iter(range(10**6))
    with pytest.raises(TrainingStopped):
        train_seed_study(
            experiment,
            6,
            4,
            state=StudyState(6, 4),
            save=saver.study,
            should_stop=lambda: next(steps) == 80 + 6 * 4 + 2,
        )


def unfinished_single(path: Path) -> None:
    """The checkpoint a single run writes when it stops at step 2 of epoch 6 (the blog: 4 steps an epoch)."""
    cfg = compose_config("trainer.epochs=20")
    experiment = build_experiment(cfg)
    saver = Saver(path, cfg, experiment.data)
    steps = iter(range(10**6))
    with pytest.raises(TrainingStopped):
        train_single(
            experiment, lambda row: None, should_stop=lambda: next(steps) == 6 * 4 + 2, save=saver.single
        )


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Checkpoints: a finished single run (momentum: an optimizer state), a finished seed study
    and one stopped in its second chunk."""
    runs = tmp_path_factory.mktemp("good")
    train_in_process(runs / "single", "trainer.epochs=20", "optimizer=momentum", NO_FIGURES)
    train_in_process(runs / "study", *STUDY, NO_FIGURES)
    unfinished_study(runs / "unfinished.pt")
    unfinished_single(runs / "stopped.pt")
    return {
        "stopped": runs / "stopped.pt",
        "single": runs / "single" / "checkpoint.pt",
        "study": runs / "study" / "checkpoint.pt",
        "unfinished": runs / "unfinished.pt",
    }


def changed(payload: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `payload` with the entry at 'a/b/c' set to `value` (DELETE removes it): as
    written by a program that gets the fields wrong (its SHA-256 matches)."""
    copy = pickle.loads(pickle.dumps(payload))

    def key(node: Any, name: str) -> Any:
        return int(name) if isinstance(node, list) or (name.isdigit() and int(name) in node) else name

    *parents, last = path.split("/")
    node = copy
    for name in parents:
        node = node[key(node, name)]
    if value is DELETE:
        del node[key(node, last)]
    else:
        node[key(node, last)] = value
    return copy


DELETE = object()
F64 = torch.float64
# A file whose SHA-256 matches was written by save_checkpoint; its top-level fields are checked
# (whether it fits a run: RESUME_CASES below).
CHECKPOINT_CASES: dict[str, tuple[str, Any, str]] = {
    "no model": ("model", DELETE, "'model' is missing or malformed"),
    "state_dict not a mapping": ("state_dict", [0.5], "'state_dict' is missing or malformed"),
    "epoch as text": ("epoch", "20", "'epoch' is missing or malformed"),
    "config not a mapping": ("config", ["lr"], "'config' is missing or malformed"),
}


@pytest.mark.parametrize("case", list(CHECKPOINT_CASES))
def test_a_checkpoint_without_its_fields_is_refused(case: str, good: dict[str, Any], tmp_path: Path) -> None:
    path, value, fragment = CHECKPOINT_CASES[case]
    bad = tmp_path / "bad.pt"
    save_checkpoint(bad, changed(load_checkpoint(good["single"]), path, value))
    one_line_refusal(lambda: load_checkpoint(bad), f"checkpoint '{bad}'", fragment)


def not_checkpoints(tmp_path: Path, good: Path) -> Iterator[tuple[str, Path]]:
    """Files that are not checkpoints at all, or no longer are."""
    (tmp_path / "table.csv").write_text("name,weight,height,gender\nAlice,133,65,F\n")
    yield "a CSV table", tmp_path / "table.csv"
    (tmp_path / "notes.txt").write_text("not a checkpoint\n")
    yield "a text file", tmp_path / "notes.txt"
    (tmp_path / "empty.pt").write_bytes(b"")
    yield "an empty file", tmp_path / "empty.pt"
    yield "a /proc entry", Path("/proc/self/status")
    data = good.read_bytes()
    (tmp_path / "truncated.pt").write_bytes(data[: len(data) // 2])
    yield "a truncated checkpoint", tmp_path / "truncated.pt"
    weight = load_checkpoint(good)["state_dict"]["hidden.weight"].numpy().tobytes()
    for name, where in (
        ("a bit flipped in a weight", data.index(weight) + 3),
        ("in a name", data.index(b"sigmoid")),
    ):
        flipped = bytearray(data)
        flipped[where] ^= 0x01
        (tmp_path / "flipped.pt").write_bytes(bytes(flipped))
        yield name, tmp_path / "flipped.pt"

    class Payload:
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, ("touch " + str(tmp_path / "pwned"),))

    with (tmp_path / "malicious.pt").open("wb") as handle:
        pickle.dump(Payload(), handle)
    yield "a malicious pickle", tmp_path / "malicious.pt"
    save_checkpoint(tmp_path / "hollow.pt", {"history": []})
    yield "a checkpoint with no fields", tmp_path / "hollow.pt"
    torch.save({"format": "net221-checkpoint-2"}, tmp_path / "other.pt")
    yield "another format", tmp_path / "other.pt"
    altered = {"format": FORMAT, "sha256": "0" * 64, "content": torch.zeros(3, dtype=torch.uint8)}
    torch.save(altered, tmp_path / "altered.pt")
    yield "a digest that does not match", tmp_path / "altered.pt"


REFUSALS = {
    "a CSV table": "not a readable checkpoint",
    "a text file": "not a readable checkpoint",
    "an empty file": "not a readable checkpoint",
    "a /proc entry": "not a readable checkpoint",
    "a truncated checkpoint": "not a readable checkpoint",
    "a bit flipped in a weight": "does not match its SHA-256",
    "in a name": "does not match its SHA-256",
    "another format": "not a net221 checkpoint",
    "a digest that does not match": "does not match its SHA-256",
    "a malicious pickle": "not a readable checkpoint",
    "a checkpoint with no fields": "'model' is missing or malformed",
}


def test_files_that_are_not_checkpoints_are_refused(good: dict[str, Any], tmp_path: Path) -> None:
    for name, path in not_checkpoints(tmp_path, good["single"]):
        one_line_refusal(lambda path=path: load_checkpoint(path), REFUSALS[name])  # type: ignore[misc]
    assert not (tmp_path / "pwned").exists()
    one_line_refusal(lambda: load_checkpoint(tmp_path), "not a regular file")
    one_line_refusal(lambda: load_checkpoint("/dev/null"), "not a regular file")
    os.mkfifo(tmp_path / "fifo")  # reading would block forever
    one_line_refusal(lambda: load_checkpoint(tmp_path / "fifo"), "not a regular file")
    one_line_refusal(lambda: load_checkpoint(tmp_path / "missing.pt"), "no such file")


def test_good_checkpoints_load_and_an_unfinished_ensemble_does_not_predict(good: dict[str, Any]) -> None:
    assert model_from(load_checkpoint(good["single"])).width == 2
    study = load_checkpoint(good["study"])
    assert study["ensemble"]["first"] == 6 and study["model"]["target"] == "net221.network.Net221"
    model_from(study)  # the best member
    unfinished = load_checkpoint(good["unfinished"])
    assert (unfinished["ensemble"]["first"], unfinished["epoch"], unfinished["step"]) == (4, 6, 2)
    assert unfinished["model"] == {**study["model"], "target": "net221.ensemble.Ensemble", "members": 2}
    assert unfinished["ensemble"]["current"]["loss"].shape == (1, 2)  # epoch 0 logged
    with pytest.raises(CheckpointError, match="an unfinished ensemble: resume it"):
        model_from(unfinished)
    where = good["unfinished"].parent
    predicted = run_in_process(
        "net221-predict", "checkpoint=unfinished.pt", "weight=128", "height=63", cwd=where
    )
    assert_one_line_error(
        predicted,
        "net221-predict",
        "checkpoint 'unfinished.pt' holds a net221.ensemble.Ensemble (an unfinished",
    )


# --- resume: a checkpoint that does not fit this run ---------------------------------------

MORE = "trainer.epochs=40"
RESUME_CASES: dict[str, tuple[str, list[str], str]] = {
    "another normalization": ("single", [MORE, "data.normalize=mean"], "the checkpoint has normalization="),
    "another width": ("single", [MORE, "model.width=3"], "the checkpoint has width=2, this config 3"),
    "another activation": ("single", [MORE, "model.activation=tanh"], "activation='sigmoid', this config 'tanh'"),
    "another dtype": ("single", [MORE, F32], "dtype='float64', this config 'float32'"),
    "no more epochs": ("single", ["trainer.epochs=20"], "already has 20 epochs; ask for more"),
    "mid-epoch, fewer steps": ("stopped", [MORE, "trainer.batch_size=4"], "stopped at step 2 of epoch 6, and an epoch of this config has 1 step(s)"),
    "an ensemble into one network": ("unfinished", [MORE], "the checkpoint is of an ensemble"),
    "one network into an ensemble": ("single", [*STUDY, MORE], "is of a single network, not of an ensemble"),
    "an ensemble with another lr": ("unfinished", [*STUDY, "optimizer.lr=0.5"], "optimizer.lr is 0.1 there, 0.5 here"),
    "an ensemble with more epochs": ("unfinished", [*STUDY, MORE], "trainer.epochs is 20 there, 40 here"),
    "an ensemble of more members": ("unfinished", [*STUDY, "trainer.members=8"], "trainer.members is 6 there, 8 here"),
}  # fmt: skip


@pytest.mark.parametrize("case", list(RESUME_CASES))
def test_resume_refuses_a_checkpoint_that_does_not_fit(
    case: str, good: dict[str, Any], tmp_path: Path
) -> None:
    kind, overrides, fragment = RESUME_CASES[case]
    one_line_refusal(lambda: train_in_process(tmp_path, *overrides, f"trainer.resume={good[kind]}"), fragment)


def test_an_unfinished_ensemble_resumes_to_the_same_study(good: dict[str, Any], tmp_path: Path) -> None:
    train_in_process(tmp_path / "resumed", *STUDY, f"trainer.resume={good['unfinished']}", NO_FIGURES)
    whole = good["study"].parent  # the same study, run without a stop
    for name in ("metrics.csv", "members.csv"):
        assert (tmp_path / "resumed" / name).read_bytes() == (whole / name).read_bytes()


def test_resume_auto_without_a_checkpoint_starts_from_the_beginning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="net221"):
        train_in_process(tmp_path, "trainer.epochs=20", "trainer.resume=auto", NO_FIGURES)
    assert "trainer.resume=auto: no checkpoint.pt" in caplog.text
    assert load_checkpoint(tmp_path / "checkpoint.pt")["epoch"] == 20


# --- CSV tables -----------------------------------------------------------------------------


def table(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_csv_duplicate_header_names_are_refused(tmp_path: Path) -> None:
    path = table(tmp_path / "twice.csv", "name,weight,weight,gender\nAlice,133,65,F\nBob,160,72,M\n")
    one_line_refusal(
        lambda: load_csv(path, ["weight"], "gender", "F"),
        "twice.csv, line 1: column 'weight' appears twice in the header (columns 2 and 3)",
    )
    path = table(tmp_path / "spaced.csv", "weight, weight ,gender\n1,2,F\n")  # equal once stripped
    one_line_refusal(lambda: load_csv(path, ["weight"], "gender", "F"), "column 'weight' appears twice")


@pytest.mark.parametrize("cell", ["-nan", "+nan", "NaN", "-NaN", "nan(ind)", "-nan(ind)", "NA", ""])
def test_csv_nan_in_any_spelling_is_missing(tmp_path: Path, cell: str) -> None:
    rows = "\n".join(f"{n},{w},{h},{g}" for n, w, h, g in BLOG_ROWS)
    path = table(tmp_path / "nan.csv", f"name,weight,height,gender\n{rows}\nEve,{cell},61,F\n")
    loaded = load_csv(path, ["weight", "height"], "gender", "F")
    assert loaded.dropped == 1 and len(loaded.dataset) == 4
    one_line_refusal(
        lambda: load_csv(path, ["weight", "height"], "gender", "F", on_missing="error"),
        "nan.csv, line 6, column 'weight': missing value",
    )


def test_csv_blank_lines_before_the_header_are_skipped(tmp_path: Path) -> None:
    rows = "\n".join(f"{n},{w},{h},{g}" for n, w, h, g in BLOG_ROWS)
    path = table(tmp_path / "blank.csv", f"\n  \n,,\nname,weight,height,gender\n{rows}\n")
    loaded = load_csv(path, ["weight", "height"], "gender", "F")
    assert loaded.dataset.names == ("Alice", "Bob", "Charlie", "Diana")
    path = table(tmp_path / "blank_bad.csv", f"\n\nname,weight,height,gender\n{rows}\nEve,heavy,61,F\n")
    # line numbers still count the blank lines
    one_line_refusal(lambda: load_csv(path, ["weight", "height"], "gender", "F"), "line 8, column 'weight'")
    only_blank = table(tmp_path / "only_blank.csv", "\n\n \n")
    one_line_refusal(lambda: load_csv(only_blank, ["weight"], "gender", "F"), "the file is empty")


# --- net221-report on malformed job directories ---------------------------------------------

SUMMARIES: dict[str, tuple[bytes, str]] = {
    "a list": (b"[1, 2]", "failed: summary.json is not a JSON object"),
    "a number": (b"0.5", "failed: summary.json is not a JSON object"),
    "a string": (b'"done"', "failed: summary.json is not a JSON object"),
    "not UTF-8": (b'{"final_loss": "\xff\xfe"}', "failed: unreadable summary.json"),
    "truncated": (b'{"final_loss": 0.1', "failed: unreadable summary.json"),
    "empty": (b"", "failed: unreadable summary.json"),
    "an object": (b'{"final_loss": 0.1, "final_accuracy": 1.0}', "ok"),
}


def test_report_lists_malformed_jobs_as_failed(tmp_path: Path) -> None:
    for i, (content, _) in enumerate(SUMMARIES.values()):
        job = tmp_path / str(i)
        (job / ".hydra").mkdir(parents=True)
        (job / ".hydra" / "overrides.yaml").write_text(f"- trainer.seed={i}\n")
        (job / "summary.json").write_bytes(content)
    job = tmp_path / str(len(SUMMARIES))
    (job / ".hydra").mkdir(parents=True)
    (job / ".hydra" / "overrides.yaml").write_bytes(b"- trainer.seed=\xff\n")
    (job / "error.txt").write_bytes(b"diverged \xff\n")
    jobs = read_jobs(tmp_path)
    assert [job.status for job in jobs[: len(SUMMARIES)]] == [status for _, status in SUMMARIES.values()]
    assert jobs[-1].status == "failed: diverged \ufffd"


# --- the commands: each kind of file refused in one line -----------------------------------
# (config values: THROUGH_THE_COMMAND above; checkpoints and tables here, in this process;
# a child process only for net221-report, which has no other in the suite)


def file_commands(tmp: Path) -> dict[str, list[str]]:
    twice = table(tmp / "twice.csv", "name,weight,weight,gender\nAlice,133,65,F\nBob,160,72,M\n")
    run = ["trainer.epochs=3", f"hydra.run.dir={tmp / 'run'}"]
    return {
        "not a checkpoint": ["net221-predict", f"checkpoint={twice}", "weight=128", "height=63"],
        "resume from a text file": ["net221-train", *run, f"trainer.resume={twice}"],
        "CSV": [
            "net221-train", *run, "data=csv", f"data.path={twice}", "data.features=[weight]", "data.target=gender",
            "data.positive=F",
        ],
    }  # fmt: skip


FILE_FRAGMENTS = {
    "not a checkpoint": ["twice.csv", "not a readable checkpoint"],
    "resume from a text file": ["twice.csv", "not a readable checkpoint"],
    "CSV": ["column 'weight' appears twice"],
}


@pytest.mark.parametrize("kind", list(FILE_FRAGMENTS))
def test_each_kind_of_file_through_the_command(kind: str, tmp_path: Path) -> None:
    command, *args = file_commands(tmp_path)[kind]
    assert_one_line_error(run_in_process(command, *args, cwd=tmp_path), command, *FILE_FRAGMENTS[kind])
    assert not (tmp_path / "run" / "checkpoint.pt").exists()


def test_a_malformed_job_through_net221_report(tmp_path: Path) -> None:
    """The installed command in a child process: no torch to load, a fraction of a second."""
    sweep = tmp_path / "sweep"
    (sweep / "0" / ".hydra").mkdir(parents=True)
    (sweep / "0" / ".hydra" / "overrides.yaml").write_text("- trainer.seed=0\n")
    (sweep / "0" / "summary.json").write_text("[]")
    (sweep / "1" / ".hydra").mkdir(parents=True)
    (sweep / "1" / ".hydra" / "overrides.yaml").write_text("- trainer.seed=1\n")  # did not finish
    result = run_cli("net221-report", f"dir={sweep}", cwd=tmp_path, timeout=120)
    assert (
        "failed: summary.json is not a JSON object" in result.stdout and "2 job(s), 2 failed" in result.stdout
    )
    # the table is whole; then the damaged file, not the unfinished job, is bad input: one line, status 2
    assert_one_line_error(
        result,
        "net221-report",
        f"damaged summary.json (not a readable JSON object): {sweep / '0' / 'summary.json'}",
    )
    assert str(sweep / "1") not in result.stderr
    with (sweep / "report.csv").open() as handle:
        assert next(csv.DictReader(handle))["status"] == "failed: summary.json is not a JSON object"


def test_a_target_whose_module_fails_to_import_names_what_it_imports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad_net.py").write_text("import nosuchpkg_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))  # found: so no word of PYTHONPATH
    with pytest.raises(UserError) as error:
        train_in_process(
            tmp_path / "run", "model._target_=bad_net.MyNet", "~model.width", "~model.activation"
        )
    assert str(error.value) == (
        "model: cannot build 'bad_net.MyNet': ModuleNotFoundError: No module named 'nosuchpkg_xyz'"
    )

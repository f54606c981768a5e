"""Every command gets a run (or sweep) directory of its own, even when started in the same second;
each file appears whole."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hydra import compose, initialize_config_module
from omegaconf import OmegaConf

from net221.app.config import register_schemas
from net221.app.outputs import RESOLVER, unique_dir, write_json

from conftest import BIN, assert_one_line_error


def test_the_default_directories_are_made_unique() -> None:
    register_schemas()
    with initialize_config_module(config_module="net221.configs", version_base="1.3"):
        hydra_node = compose(config_name="train", return_hydra_config=True).hydra
    run_dir = OmegaConf.to_container(hydra_node.run, resolve=False)["dir"]  # type: ignore[index]
    sweep_dir = OmegaConf.to_container(hydra_node.sweep, resolve=False)["dir"]  # type: ignore[index]
    assert run_dir == "${" + RESOLVER + ":outputs/${now:%Y-%m-%d}/${now:%H-%M-%S}}"
    assert sweep_dir == "${" + RESOLVER + ":multirun/${now:%Y-%m-%d}/${now:%H-%M-%S}}"


def test_simultaneous_calls_get_different_directories(tmp_path: Path) -> None:
    base = tmp_path / "outputs" / "2026-11-28" / "10-00-00"
    with ThreadPoolExecutor(8) as pool:
        made = list(pool.map(lambda _: unique_dir(str(base)), range(8)))
    assert sorted(Path(name).name for name in made) == sorted(
        ["10-00-00", *(f"10-00-00_{n}" for n in range(2, 9))]
    )
    assert all(Path(name).is_dir() and not any(Path(name).iterdir()) for name in made)


def test_two_failing_runs_started_together_keep_their_own_files(tmp_path: Path) -> None:
    # both ask for the same name, as two commands in the same second do with outputs/DATE/TIME;
    # the second is `python -m net221.app.train`: the module as __main__ in a new interpreter,
    # which is net221-train's main() (a real process training: test_faults.py; bad values in
    # this process: test_train.py, test_bad_input.py)
    pattern = "hydra.run.dir=${" + RESOLVER + ":" + str(tmp_path / "run") + "}"
    starts = ([str(BIN / "net221-train")], [sys.executable, "-m", "net221.app.train"])
    argv = [[*start, pattern, f"trainer.epochs={-n}"] for n, start in enumerate(starts, 1)]
    pipes = {"stdout": subprocess.PIPE, "stderr": subprocess.PIPE, "text": True}
    commands = [subprocess.Popen(words, cwd=tmp_path, **pipes) for words in argv]  # type: ignore[call-overload]
    for words, command in zip(argv, commands, strict=True):  # each: one line, exit status 2
        stdout, stderr = command.communicate(timeout=300)
        result = subprocess.CompletedProcess(words, command.returncode, stdout, stderr)
        assert_one_line_error(result, "net221-train", "trainer.epochs=-", "must be >= 1")
    errors = {(tmp_path / name / "error.txt").read_text() for name in ("run", "run_2")}
    assert errors == {"trainer.epochs=-1: must be >= 1\n", "trainer.epochs=-2: must be >= 1\n"}
    for name in ("run", "run_2"):
        log = (tmp_path / name / "train.log").read_text()
        assert log.count("error: trainer.epochs=") == 1, log


def test_a_file_whose_name_nearly_fills_the_limit_is_written_whole(tmp_path: Path) -> None:
    path = tmp_path / f"{'a' * 245}.json"  # 250 characters: its temporary's longer name would not fit
    write_json(path, {"loss": 0.5})
    assert json.loads(path.read_text()) == {"loss": 0.5}
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    with pytest.raises(OSError, match="File name too long") as error:  # too long itself: named as given
        write_json(tmp_path / f"{'a' * 300}.json", {})
    assert error.value.filename == str(tmp_path / f"{'a' * 300}.json")

"""What every command's entry shares: one-line errors in net221's words, with "did you mean"."""

from __future__ import annotations

from pathlib import Path

import pytest

from net221.app.config import did_you_mean

from conftest import assert_one_line_error, run_in_process

# an unknown key, group option or argument -> what the one line says
TYPOS = {
    "optimizer.lrr=0.1": ["optimizer.lrr: no such key; did you mean optimizer.lr?"],
    "trainr.epochs=3": ["trainr: no such key; did you mean trainer?"],
    "optimizer=sgdd": [
        "optimizer=sgdd: no such option; did you mean sgd?",
        "(optimizer: adam, momentum, sgd)",
    ],
    "+trainer.epoch=3": ["trainer.epoch=3: unknown key; did you mean trainer.epochs?"],
    "+optimizer.momentun=0.9": ["optimizer.momentun=0.9: unknown key; did you mean optimizer.momentum?"],
    "trainer.qqqq=1": ["trainer.qqqq: no such key (trainer has ", "epochs"],  # nothing close: the keys
    "trainer.epochs=???": ["trainer.epochs: a value is needed (trainer.epochs=...)"],  # a mandatory value
}


@pytest.mark.parametrize("override", list(TYPOS))
def test_an_unknown_name_is_one_line_in_our_words_with_a_suggestion(override: str, tmp_path: Path) -> None:
    result = run_in_process("net221-train", override, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert_one_line_error(result, "net221-train", *TYPOS[override])
    assert "not in struct" not in result.stderr and "Error executing job" not in result.stderr + result.stdout


def test_did_you_mean_only_for_close_names() -> None:
    assert did_you_mean("lrr", ["lr", "momentum"], "optimizer.") == "; did you mean optimizer.lr?"
    assert did_you_mean("colour", ["lr", "momentum"]) == ""


# a value of the wrong type, or a word that is no key=value -> one line, for any command
WRONG_WORDS = {
    ("net221-train", "trainer.epochs=1.5"): "trainer.epochs=1.5: not a whole number",
    ("net221-train", "trainer.shuffle=maybe"): "trainer.shuffle=maybe: not true or false",
    ("net221-gradcheck", "tolerance=abc"): "tolerance=abc: not a number",
    ("net221-report", "multirun/2026-11-27/10-00-00"): (
        "multirun/2026-11-27/10-00-00: every argument is key=value (--help lists the keys)"
    ),
    (
        "net221-report",
        "dir=d/Müller",
    ): "dir=d/Müller: not a value Hydra can read; quoted, it is read as text: 'dir=\"d/Müller\"'",
    ("net221-report", "dïr=x"): "dïr=x: not a value Hydra can read",  # no quotes to suggest
    ("net221-train", "optimizer.lr=0.1)"): (
        "optimizer.lr=0.1): not a value Hydra can read (extraneous input ')' expecting <EOF>); quoted, it is"
        " read as text: 'optimizer.lr=\"0.1)\"'"
    ),
}


@pytest.mark.parametrize(("command", "word"), list(WRONG_WORDS))
def test_a_wrong_type_or_a_bare_word_is_one_line_in_our_words(
    command: str, word: str, tmp_path: Path
) -> None:
    result = run_in_process(command, word, f"hydra.run.dir={tmp_path / 'run'}", cwd=tmp_path)
    assert_one_line_error(result, command, WRONG_WORDS[command, word])
    assert result.stderr.rstrip().endswith(WRONG_WORDS[command, word])
    assert "could not be converted" not in result.stderr and "Exception" not in result.stderr
    assert not (tmp_path / "run").exists()

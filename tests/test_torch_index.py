"""scripts/torch_index.py: the pip options `make install` uses for torch's build."""

from __future__ import annotations

import importlib.util
import io
import urllib.error
import urllib.request
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "torch_index.py"


def torch_index() -> ModuleType:
    spec = importlib.util.spec_from_file_location("torch_index", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answering(error: Exception | None) -> Any:
    def urlopen(url: str, timeout: float) -> io.BytesIO:
        assert url == "https://download.pytorch.org/whl/cpu/torch/" and timeout > 0
        if error is not None:
            raise error
        return io.BytesIO(b"<html></html>")

    return urlopen


def test_pytorchs_index_when_it_answers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", answering(None))
    assert torch_index().options("cpu") == (
        "--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple"
    )


def test_pips_own_settings_when_it_cannot_be_reached(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", answering(urllib.error.URLError("no route to host")))
    assert torch_index().options("cpu") == ""
    assert capsys.readouterr().err == (
        "torch: https://download.pytorch.org/whl/cpu cannot be reached (no route to host); "
        "using pip's own settings\n"
    )


def test_a_build_the_index_does_not_know_stops_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://download.pytorch.org/whl/cpu/torch/"
    missing = urllib.error.HTTPError(url, 404, "Not Found", None, None)  # type: ignore[arg-type]
    monkeypatch.setattr(urllib.request, "urlopen", answering(missing))
    with pytest.raises(SystemExit, match=r"has no build 'cpu' \(HTTP 404\)"):
        torch_index().options("cpu")


def test_pypi_asks_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(urllib.request, "urlopen", answering(AssertionError("no request expected")))
    assert torch_index().options("pypi") == ""

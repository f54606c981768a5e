"""net221-predict: the probability and label a trained network gives one person or row.

Layer: app. Inputs are raw units; the checkpoint's normalization is applied.
`HELP` is what --help prints; its examples are run by the tests.
"""

from __future__ import annotations

import math
import sys
from typing import Any

from net221.app.process import fail, tolerate_closed_output
from net221.data import BLOG_FEATURES
from net221.errors import UserError

PROG = "net221-predict"
USAGE = f"usage: {PROG} checkpoint=PATH FEATURE=VALUE ... | x=[V1,V2,...]"
HELP = f"""\
{PROG}: the probability (of label 1) and the label that a network trained by net221-train
gives one person or one row, from its checkpoint.pt. Values are in raw units (pounds, inches,
grams, ...); the checkpoint's normalization is applied.

  $ {PROG} checkpoint=outputs/2026-11-27/10-00-00/checkpoint.pt weight=128 height=63
  0.949 female
  $ {PROG} checkpoint=outputs/2026-11-27/10-00-00/checkpoint.pt x=[155,68]
  0.040 male

{USAGE}
  checkpoint=PATH   a checkpoint.pt written by net221-train (the blog's run above: no arguments)
  FEATURE=VALUE     one per feature the network was trained on (the blog: weight, height)
  x=[V1,V2,...]     or all of them in the checkpoint's feature order

Prints P(label 1) to three decimals and the label it implies (P > 0.5). Bad input exits
with status 2 and one line on stderr. --version prints net221's version.
"""


def parse_arguments(argv: list[str]) -> dict[str, str]:
    """KEY=VALUE words into a dict; anything else is a UserError."""
    arguments: dict[str, str] = {}
    for word in argv:
        key, sep, value = word.partition("=")
        if not sep or not key:
            raise UserError(f"expected KEY=VALUE, got {word!r} ({USAGE})")
        if key in arguments:
            raise UserError(f"{key} is given twice")
        arguments[key] = value
    return arguments


def _number(key: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{key}={text!r} is not a number") from None
    if not math.isfinite(value):
        raise UserError(f"{key}={text!r} is not a finite number")
    return value


def raw_features(arguments: dict[str, str], features: list[str]) -> list[float]:
    """The raw feature values, from x=[...] or from one KEY=VALUE per feature."""
    given = {key: value for key, value in arguments.items() if key != "checkpoint"}
    if "x" in given and "x" not in features:
        if len(given) > 1:
            raise UserError("give either x=[...] or the named features, not both")
        text = given["x"].strip()
        if not (text.startswith("[") and text.endswith("]")):
            raise UserError(f"x={text!r}: expected a list like x=[1.5,2]")
        items = [item.strip() for item in text[1:-1].split(",") if item.strip()]
        if len(items) != len(features):
            raise UserError(
                f"x has {len(items)} value(s); the network takes {len(features)}: {', '.join(features)}"
            )
        values = [_number(f"x[{i}]", item) for i, item in enumerate(items)]
    else:
        unknown = sorted(set(given) - set(features))
        if unknown:
            raise UserError(
                f"unknown argument(s) {', '.join(unknown)}; the network takes {', '.join(features)} (or x=[...])"
            )
        missing = [name for name in features if name not in given]
        if missing:
            raise UserError(f"missing {', '.join(missing)} (the network takes {', '.join(features)})")
        values = [_number(name, given[name]) for name in features]
    for name, value in zip(features, values, strict=True):
        if name in BLOG_FEATURES and value <= 0:
            raise UserError(f"{name}={value:g}: must be > 0")
    return values


def predict(arguments: dict[str, str]) -> tuple[float, str]:
    """P(label 1) and the label's name for the row the arguments describe."""
    if "checkpoint" not in arguments:
        raise UserError(f"missing checkpoint=PATH ({USAGE})")
    import numpy as np
    import torch

    from net221.app.checkpoint import load_checkpoint, model_from, normalization_from

    checkpoint = load_checkpoint(arguments["checkpoint"])
    features = [str(name) for name in checkpoint["data"]["features"]]
    raw = np.array([raw_features(arguments, features)])
    model = model_from(checkpoint)
    x = torch.tensor(normalization_from(checkpoint).apply(raw), dtype=model.hidden.weight.dtype)
    with torch.no_grad():
        probability = float(model(x)[0, 0])
    names: Any = checkpoint["data"].get("label_names", ["0", "1"])
    label = str(names[1] if probability > 0.5 else names[0])
    return probability, label


@tolerate_closed_output
def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if any(word in ("-h", "--help") for word in argv):
        print(HELP, end="")
        return
    if "--version" in argv:
        from net221 import __version__

        print(f"net221 {__version__}")
        return
    try:
        probability, label = predict(parse_arguments(argv))
    except UserError as error:
        fail(PROG, str(error))
    print(f"{probability:.3f} {label}")


if __name__ == "__main__":
    main()

"""net221-predict: the probability and label a trained network gives one person or row.

Layer: app. Inputs are raw units; the checkpoint's normalization is applied.

    net221-predict checkpoint=outputs/.../checkpoint.pt weight=128 height=63
    0.951 female
    net221-predict checkpoint=PATH x=[4200,17.5]          # features in checkpoint order
    net221-predict checkpoint=PATH body_mass_g=4200 bill_depth_mm=17.5
"""

from __future__ import annotations

import math
import sys
from typing import Any

from net221.app.cli import fail, tolerate_closed_output
from net221.data import BLOG_FEATURES
from net221.errors import UserError

PROG = "net221-predict"
USAGE = f"usage: {PROG} checkpoint=PATH FEATURE=VALUE ... | x=[V1,V2,...]"


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

    from net221.checkpoint import load_checkpoint, model_from_checkpoint, normalization_from_checkpoint

    checkpoint = load_checkpoint(arguments["checkpoint"])
    features = [str(name) for name in checkpoint["data"]["features"]]
    raw = np.array([raw_features(arguments, features)])
    model = model_from_checkpoint(checkpoint)
    x = torch.tensor(normalization_from_checkpoint(checkpoint).apply(raw), dtype=model.hidden.weight.dtype)
    with torch.no_grad():
        probability = float(model(x)[0, 0])
    names: Any = checkpoint["data"].get("label_names", ["0", "1"])
    label = str(names[1] if probability > 0.5 else names[0])
    return probability, label


@tolerate_closed_output
def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if any(word in ("-h", "--help") for word in argv):
        print(__doc__.strip().split("\n\n", 1)[1] if __doc__ else USAGE)
        return
    try:
        probability, label = predict(parse_arguments(argv))
    except UserError as error:
        fail(PROG, str(error))
    print(f"{probability:.3f} {label}")


if __name__ == "__main__":
    main()

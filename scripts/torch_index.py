"""The pip options that install torch's build TORCH_BUILD, printed on one line for `make install`.

    python scripts/torch_index.py cpu      # PyTorch's CPU wheel index (the default without an NVIDIA GPU)
    python scripts/torch_index.py cu128    # a CUDA build: pick the one for your driver on pytorch.org
    python scripts/torch_index.py pypi     # nothing: pip's own settings (PyPI's torch, a CUDA build on Linux)

Where PyTorch's index cannot be reached (no network, or only a package mirror), it prints nothing,
so pip's own settings apply, and says so on stderr. Standard library only: it runs before torch exists.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request

INDEX = "https://download.pytorch.org/whl/{build}"
TIMEOUT_S = 10


def options(build: str) -> str:
    if build == "pypi":
        return ""
    index = INDEX.format(build=build)
    try:
        with urllib.request.urlopen(f"{index}/torch/", timeout=TIMEOUT_S):
            pass
    except urllib.error.HTTPError as error:  # the index answers: the build's name is wrong
        sys.exit(f"torch: {index} has no build {build!r} (HTTP {error.code}); see pytorch.org")
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        print(f"torch: {index} cannot be reached ({reason}); using pip's own settings", file=sys.stderr)
        return ""
    return f"--index-url {index} --extra-index-url https://pypi.org/simple"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/torch_index.py cpu|cuXYZ|pypi")
    print(options(sys.argv[1]))

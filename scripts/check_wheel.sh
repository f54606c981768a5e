#!/usr/bin/env bash
# What a user of the wheel gets: build the sdist and, from it, the wheel; check that
# both carry the configs; install the wheel into a fresh virtual environment; and
# train for a few epochs from a directory outside the checkout.
#
#   PYTHON       the interpreter that builds (default python3); it needs `build`
#   TORCH        the torch requirement for the fresh environment (default torch==2.13.0)
#   TORCH_INDEX  pip options naming torch's index (default none: pip's own settings)
#   KEEP_DIST    if set, a directory to copy the checked sdist and wheel into
#
# `make wheel-check` runs this with the project's virtual environment; CI runs the same.
set -euo pipefail

PYTHON=${PYTHON:-python3}
TORCH=${TORCH:-torch==2.13.0}
TORCH_INDEX=${TORCH_INDEX:-}
KEEP_DIST=${KEEP_DIST:-}
[[ -z $KEEP_DIST || $KEEP_DIST == /* ]] || KEEP_DIST=$PWD/$KEEP_DIST
ROOT=$(cd "$(dirname "$0")/.." && pwd)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/net221-wheel-check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
DIST=$WORK/dist
VENV=$WORK/venv
RUN=$WORK/run

step() { printf '== wheel check [%3d s]: %s\n' "$SECONDS" "$*"; }
fail() {
    printf 'wheel check: FAILED: %s\n' "$*" >&2
    exit 1
}
# Run a command quietly; on failure show its output and stop.
quiet() {
    local what=$1
    shift
    "$@" >"$WORK/last.log" 2>&1 || {
        cat "$WORK/last.log" >&2
        fail "$what"
    }
}

step "building the sdist and the wheel"
# The wheel is built from the unpacked sdist, so a file missing from the sdist is
# missing from the wheel too and the checks below catch it.
quiet "python -m build" "$PYTHON" -m build --outdir "$DIST" "$ROOT"
wheels=("$DIST"/*.whl)
sdists=("$DIST"/*.tar.gz)
[[ ${#wheels[@]} -eq 1 && -f ${wheels[0]} ]] || fail "expected one wheel in $DIST"
[[ ${#sdists[@]} -eq 1 && -f ${sdists[0]} ]] || fail "expected one sdist in $DIST"
wheel=${wheels[0]}
sdist=${sdists[0]}
name=$(basename "$wheel")
version=${name#net221-}
version=${version%%-*}
step "built $name and $(basename "$sdist")"

step "checking their contents"
in_wheel=$(unzip -Z1 "$wheel")
in_sdist=$(tar -tzf "$sdist" | sed 's|^[^/]*/||')
has() { grep -qxF "$2" <<<"$1"; }
configs=$(cd "$ROOT/configs" && find . -name '*.yaml' | sed 's|^\./||' | sort)
[[ -n $configs ]] || fail "no YAML files under configs/"
grep -q / <<<"$configs" || fail "no config group directories under configs/"
while read -r config; do
    has "$in_wheel" "net221/configs/$config" || fail "the wheel lacks net221/configs/$config"
    has "$in_sdist" "configs/$config" || fail "the sdist lacks configs/$config"
done <<<"$configs"
for file in net221/py.typed net221/__main__.py net221/configs/__init__.py "net221-$version.dist-info/licenses/LICENSE"; do
    has "$in_wheel" "$file" || fail "the wheel lacks $file"
done
stray=$(grep -vE "^(net221/|net221-$version\.dist-info/)" <<<"$in_wheel" || true)
[[ -z $stray ]] || fail "the wheel holds files outside net221/: $stray"
for file in LICENSE pyproject.toml CHANGELOG.md Makefile src/net221/py.typed tests/conftest.py; do
    has "$in_sdist" "$file" || fail "the sdist lacks $file"
done
step "$(grep -c . <<<"$configs") config files and py.typed in both"

step "installing $TORCH into a fresh environment"
quiet "python -m venv" "$PYTHON" -m venv "$VENV"
# The environment is thrown away, so pip skips compiling every module up front
# (for torch that more than halves the time); what runs is compiled on import.
# TORCH_INDEX holds several pip options, so it is split into words on purpose.
# shellcheck disable=SC2086
quiet "installing $TORCH" "$VENV/bin/python" -m pip install --quiet --no-compile $TORCH_INDEX "$TORCH"
step "installing the wheel and its other dependencies"
quiet "installing the wheel" "$VENV/bin/python" -m pip install --quiet --no-compile "$wheel"

step "training from $RUN"
mkdir "$RUN"
cd "$RUN"
unset PYTHONPATH
where=$("$VENV/bin/python" -c 'import net221; print(net221.__file__)')
[[ $where == "$VENV"/* ]] || fail "net221 was imported from $where, not from the fresh environment"
quiet "net221-train" "$VENV/bin/net221-train" trainer.epochs=10 hydra.run.dir=run
for file in checkpoint.pt metrics.csv summary.json .hydra/config.yaml; do
    [[ -s run/$file ]] || fail "net221-train did not write run/$file"
done
quiet "summary.json is not JSON" "$VENV/bin/python" -c 'import json; json.load(open("run/summary.json"))'
said=$("$VENV/bin/python" -m net221 --version)
[[ $said == "net221 $version" ]] || fail "python -m net221 --version said '$said', expected 'net221 $version'"

if [[ -n $KEEP_DIST ]]; then
    mkdir -p "$KEEP_DIST"
    cp "$sdist" "$wheel" "$KEEP_DIST"/
    step "copied $(basename "$sdist") and $name to $KEEP_DIST"
fi
echo "wheel check: OK ($said, ${SECONDS} s)"

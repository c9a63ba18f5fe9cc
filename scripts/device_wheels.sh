#!/usr/bin/env bash
# Wheels for scripts/device_check.sh on a GPU machine that has CUDA builds of torch and jax
# (and numpy, scipy) but not haiku, gymnasium or mujoco, and reaches no package registry.
#   bash scripts/device_wheels.sh [DIR] [PYTHON_VERSION ...]
# (default: device_wheels/ for Pythons 3.11 3.12 3.13; mujoco 4 has no wheel for 3.10).
# Carry DIR with the tree (it is git-ignored; about 34 MB for three Python versions, mostly
# mujoco-core's binary wheels) and run the check: setup installs from it with
# `pip install --no-index --no-deps --find-links DIR ...` only what the machine lacks.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-device_wheels}
shift || true
versions=${*:-3.11 3.12 3.13}
mkdir -p "$dir"
# Pure-Python wheels, at the versions constraints.txt pins where it pins them.
pip download --no-deps --only-binary=:all: -d "$dir" -c constraints.txt \
  dm-haiku jmp tabulate absl-py optax cloudpickle typing-extensions gymnasium \
  farama-notifications mujoco glfw imageio pytest pluggy iniconfig packaging pygments
# mujoco's compiled core at mujoco's own version (mujoco checks it when imported), one wheel
# per Python version; mujoco-studio, the viewer, is left out.
core="mujoco-core==$(sed -n 's/^mujoco==//p' constraints.txt)"
for v in $versions; do
  pip download --no-deps --only-binary=:all: -d "$dir" \
    --python-version "$v" --platform manylinux_2_28_x86_64 --implementation cp "$core" ||
    echo "warning: no mujoco-core wheel for Python $v" >&2
done
du -sh "$dir"

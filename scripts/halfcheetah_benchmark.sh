#!/usr/bin/env bash
# HalfCheetah-v4 at SpinningUp's benchmark settings: scripts/benchmark.sh for that env (its
# 30 runs are in docs/results/runs/). Usage: bash scripts/halfcheetah_benchmark.sh [RUN ...]
exec bash "$(dirname "$0")/benchmark.sh" HalfCheetah-v4 "$@"

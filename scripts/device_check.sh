#!/usr/bin/env bash
# The GPU check (issue 21), one script that fits in 8 minutes on a GPU machine (an H200 with
# CUDA builds of torch and jax; haiku, gymnasium and mujoco come from a carried wheel folder):
#
#   bash scripts/device_wheels.sh                 # here, once: makes device_wheels/
#   bash scripts/device_check.sh [--out DIR]      # there, with device_wheels/ carried along
#   bash scripts/device_check.sh --cpu-tiny [--out DIR]   # the same steps on the CPU, tiny
#   bash scripts/device_check.sh --dry-run        # print the steps only
#
# Steps, each under its own time limit, each writing into DIR (default device_check_out/):
#   setup       install what is missing from device_wheels/ (offline), record the machine
#   parity      float64 parity of every algorithm with both backends on the device
#   bench       python -m spinup.run bench --device cuda --quick: every algorithm, each
#               contender (PyTorch eager, compiled, CUDA graphs; JAX), JAX / best PyTorch
#   population  bench --population td3 --sizes 1 4 16 64, JAX's and PyTorch's (torch.func)
#               populations (Flajolet et al.'s claim)
#   torch_overhead  scripts/torch_overhead.py: PyTorch's update with Adam and fused Adam, its
#               operators and kernels per update and the GPU's busy time
#   runs        short HalfCheetah-v4 TD3 runs: td3_pytorch --device cuda, eager and with
#               --compile cudagraphs, and td3_jax (JAX on its default device, the GPU)
#   summarize   DIR/summary.md: the tables docs/speed.md takes
# A step that fails or runs out of time is logged (DIR/steps.log) and the next one runs;
# the exit status is the number of failed steps.
set -uo pipefail
cd "$(dirname "$0")/.."

out=device_check_out
mode=gpu
dry=0
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --cpu-tiny) mode=cpu-tiny; shift ;;
    --dry-run) dry=1; shift ;;
    *) echo "unknown argument '$1': expected --out DIR, --cpu-tiny, --dry-run" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
: > "$out/steps.log"
export SPINUP_NO_PROGRESS=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"  # spinup from this tree, installed or not
failed=0

step() {  # step NAME SECONDS COMMAND...: run, log its output to $out/NAME.log
  local name=$1 limit=$2
  shift 2
  echo "== $name (limit ${limit} s): $*" | tee -a "$out/steps.log"
  [ "$dry" = 1 ] && return 0
  local start=$SECONDS
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  echo "   $name: exit $rc after $((SECONDS - start)) s" | tee -a "$out/steps.log"
  [ $rc = 0 ] || failed=$((failed + 1))
}

if [ "$mode" = gpu ]; then
  dev=cuda
  parity_algos=()
  bench_args=(--device cuda --quick)
  compile_mode=cudagraphs
  pop_args=(td3 --sizes 1 4 16 64 --blocks 5 --backends jax pytorch --device cuda)
  overhead_args=(--device cuda --algos td3 sac ddpg --blocks 10)
  run_args=(--env HalfCheetah-v4 --epochs 3 --steps_per_epoch 2000 --start_steps 1000
            --update_after 1000 --num_test_episodes 2)
else
  dev=cpu
  # PyTorch's spin-waiting OpenMP threads stall on a busy machine; one thread, as the tests.
  export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
  parity_algos=(td3)
  bench_args=(--device cpu --quick td3)
  compile_mode=default
  pop_args=(td3 --sizes 1 2 --blocks 2 --hid 16 --batch_size 8 --update_every 5
            --backends jax pytorch)
  overhead_args=(--device cpu --algos td3 --blocks 1)
  run_args=(--env HalfCheetah-v4 --epochs 2 --steps_per_epoch 200 --start_steps 100
            --update_after 100 --batch_size 32 --hid "(16,)" --num_test_episodes 1
            --max_ep_len 100)
fi

# The limits add up to 480 s (8 minutes). On an H200 (2026-11-30) the steps before compiled
# PyTorch took 7, 15, 66, 75, 39, (torch_overhead: about 25 s in a later call), 28, 8 and 0 s;
# bench now also compiles each algorithm's PyTorch learner twice (compiled, CUDA graphs).
step setup 30 python scripts/device_check.py setup device_wheels "$out"
step parity 50 python scripts/device_check.py parity "$dev" "$out" "${parity_algos[@]}"
step bench 200 python -m spinup.run bench "${bench_args[@]}" --json "$out/bench.json"
step population 60 python -m spinup.run bench --population "${pop_args[@]}" \
  --json "$out/population.json"
step torch_overhead 30 python scripts/torch_overhead.py "${overhead_args[@]}" \
  --json "$out/torch_overhead.json"
step run_pytorch 25 python -m spinup.run td3_pytorch "${run_args[@]}" --device "$dev" \
  --exp_name td3_pytorch --data_dir "$out/runs"
step run_pytorch_compiled 50 python -m spinup.run td3_pytorch "${run_args[@]}" --device "$dev" \
  --compile "$compile_mode" --exp_name td3_pytorch_compiled --data_dir "$out/runs"
step run_jax 25 python -m spinup.run td3_jax "${run_args[@]}" --exp_name td3_jax \
  --data_dir "$out/runs"
step summarize 10 python scripts/device_check.py summarize "$out"
echo "$failed step(s) failed; results in $out/" | tee -a "$out/steps.log"
exit $failed

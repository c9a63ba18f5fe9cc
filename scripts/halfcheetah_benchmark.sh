#!/usr/bin/env bash
# HalfCheetah-v4 at SpinningUp's benchmark settings, run one after another (one core each):
#   DDPG, TD3, SAC: hidden (256,256) relu, batch 100, 250 epochs x 4000 steps = 1M steps
#        (SpinningUp's default is 100 epochs; the benchmark length is 1M steps);
#   VPG, PPO: hidden (64,32) tanh, 4000 steps per epoch, 750 epochs = 3M steps.
# Everything else is the algorithm's default (SAC: fixed alpha 0.2, as SpinningUp's
# benchmark); the off-policy runs also checkpoint their replay buffer,
# --save_buffer, so that a killed run resumes exactly). As each run finishes, its config.json
# and progress.txt are copied to docs/results/runs/<algo>_<backend>_s<seed>/ (commit them); a
# run already there is skipped, and a run with a checkpoint under the data folder is resumed
# rather than restarted, so rerunning the script continues the queue.
# Usage: bash scripts/halfcheetah_benchmark.sh [RUN ...]   (RUN like td3_jax_s0; default: all 30,
# the JAX runs of an algorithm before its PyTorch ones). Two queues at once (one thread each)
# use both cores of a 2-core machine: give each its own list of runs.
set -euo pipefail
cd "$(dirname "$0")/.."
data=${SPINUP_BENCH_DATA:-data/hc_benchmark}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} SPINUP_NO_PROGRESS=1
mkdir -p "$(dirname "$data")"
runs=("$@")
if [ ${#runs[@]} -eq 0 ]; then
    for a in td3_jax vpg_jax vpg_pytorch td3_pytorch ppo_jax sac_jax ddpg_jax ppo_pytorch \
             sac_pytorch ddpg_pytorch; do
        for s in 0 10 20; do runs+=("${a}_s$s"); done
    done
fi
for run in "${runs[@]}"; do
    algo=${run%_s*}; seed=${run##*_s}
    out=${SPINUP_BENCH_OUT:-docs/results/runs}/$run
    if [ -f "$out/progress.txt" ]; then echo "skip $run (done)"; continue; fi
    case $algo in
        td3_*|ddpg_*|sac_*)
            flags=(--hid "(256,256)" --batch_size 100 --epochs 250 --save_buffer) ;;
        vpg_*|ppo_*) flags=(--hid "(64,32)" --steps_per_epoch 4000 --epochs 750) ;;
        *) echo "unknown run $run" >&2; exit 2 ;;
    esac
    dir="$data/hc_$algo/hc_${algo}_s$seed"
    if [ -f "$dir/checkpoint/checkpoint.npz" ]; then
        echo "$(date -u +%FT%TZ) resume $run"
        python -m spinup.run resume "$dir" >> "$data.$run.log" 2>&1
    else
        echo "$(date -u +%FT%TZ) start $run"
        python -m spinup.run "$algo" --env HalfCheetah-v4 --seed "$seed" "${flags[@]}" \
            --exp_name "hc_$algo" --data_dir "$data" > "$data.$run.log" 2>&1
    fi
    mkdir -p "$out"
    cp "$dir/config.json" "$dir/progress.txt" "$out/"
    echo "$(date -u +%FT%TZ) done $run"
done

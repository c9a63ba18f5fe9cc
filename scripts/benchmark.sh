#!/usr/bin/env bash
# SpinningUp's MuJoCo benchmark on one env, at its settings, run one after another (one core each):
#   DDPG, TD3, SAC: hidden (256,256) relu, batch 100, 250 epochs x 4000 steps = 1M steps
#        (SpinningUp's default is 100 epochs; the benchmark length is 1M steps);
#   VPG, PPO, TRPO: hidden (64,32) tanh, 4000 steps per epoch, 750 epochs = 3M steps.
# Everything else is the algorithm's default (SAC: fixed alpha 0.2, as SpinningUp's
# benchmark); the off-policy runs also checkpoint their replay buffer (--save_buffer), so that
# a killed run resumes exactly. As each run finishes, its config.json and progress.txt are
# copied to OUT/<algo>_<backend>_s<seed>/ (commit them); a run already there is skipped, and a
# run with a checkpoint under the data folder is resumed rather than restarted (only copied if
# it had finished before its queue stopped), so rerunning the script (on this machine or, with
# the data folder, another) continues the queue.
# A run found under the data folder must be this benchmark's (algo, env, seed, epochs, steps
# per epoch, hidden sizes) before it is resumed or copied; another is named, and the queue stops.
#
# Usage: bash scripts/benchmark.sh ENV [RUN ...]     (RUN like td3_jax_s0)
#   default RUNs: every algorithm in both backends at seeds 0 10 20 on HalfCheetah-v4; on the
#   other envs (issue 31) the on-policy ones in both backends and the off-policy ones in JAX,
#   plus the off-policy PyTorch seed 0 on Hopper-v4.
#   OUT: docs/results/runs (HalfCheetah-v4, where its 30 runs were committed) or
#        docs/results/<ENV>/runs; override with SPINUP_BENCH_OUT.
#   data: data/hc_benchmark (HalfCheetah-v4) or data/benchmark/<ENV>; SPINUP_BENCH_DATA.
#   SPINUP_BENCH_EPOCHS=N: every run N epochs long instead (a smoke test of the queue; its
#   results are not the benchmark's, so give it its own OUT and data).
# Two queues at once (one thread each, e.g. under `taskset -c 0` and `taskset -c 1`) use both
# cores of a 2-core machine. They may share one list (the default one, say): a queue claims a
# run (a lock on data/<run>.lock, which the kernel drops when the run's processes end, so a
# killed queue leaves no stale claim) and the other moves on to the next, so each run is
# trained once and the two stay busy until the list is done:
#   taskset -c 0 bash scripts/benchmark.sh Walker2d-v4 & taskset -c 1 bash scripts/benchmark.sh Walker2d-v4 &
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -lt 1 ] || [[ $1 == -* ]]; then
    echo "usage: bash scripts/benchmark.sh ENV [RUN ...]   (e.g. Hopper-v4 td3_jax_s0)" >&2
    exit 2
fi
env_id=$1; shift
if [ "$env_id" = HalfCheetah-v4 ]; then
    data=${SPINUP_BENCH_DATA:-data/hc_benchmark} prefix=hc
    out_root=${SPINUP_BENCH_OUT:-docs/results/runs}
else
    data=${SPINUP_BENCH_DATA:-data/benchmark/$env_id}
    prefix=$(echo "${env_id%-v*}" | tr '[:upper:]' '[:lower:]')
    out_root=${SPINUP_BENCH_OUT:-docs/results/$env_id/runs}
fi
epochs_override=${SPINUP_BENCH_EPOCHS:-}
if [ -n "$epochs_override" ] && ! [[ $epochs_override =~ ^[1-9][0-9]*$ ]]; then
    echo "error: SPINUP_BENCH_EPOCHS='$epochs_override' is not a positive whole number" >&2
    exit 2
fi
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} SPINUP_NO_PROGRESS=1
runs=("$@")
if [ ${#runs[@]} -eq 0 ]; then
    if [ "$env_id" = HalfCheetah-v4 ]; then
        algos=(td3_jax vpg_jax vpg_pytorch td3_pytorch ppo_jax sac_jax ddpg_jax ppo_pytorch
               sac_pytorch ddpg_pytorch trpo_jax trpo_pytorch)
    else
        algos=(vpg_jax vpg_pytorch ppo_jax ppo_pytorch trpo_jax trpo_pytorch ddpg_jax td3_jax
               sac_jax)
    fi
    for a in "${algos[@]}"; do
        for s in 0 10 20; do runs+=("${a}_s$s"); done
    done
    if [ "$env_id" = Hopper-v4 ]; then runs+=(ddpg_pytorch_s0 td3_pytorch_s0 sac_pytorch_s0); fi
fi
# Every run is checked before the first one starts: a typo costs a second, not a queue.
python -c "import gymnasium as g, sys; g.spec(sys.argv[1])" "$env_id" 2>/dev/null ||
    { echo "error: unknown environment id '$env_id'" >&2; exit 2; }
for run in "${runs[@]}"; do
    [[ $run =~ ^(vpg|ppo|trpo|ddpg|td3|sac)_(jax|pytorch)_s[0-9]+$ ]] ||
        { echo "error: run '$run' is not <vpg|ppo|trpo|ddpg|td3|sac>_<jax|pytorch>_s<seed>" >&2
          exit 2; }
done
mkdir -p "$data"
for run in "${runs[@]}"; do
    algo=${run%_s*}; seed=${run##*_s}
    out=$out_root/$run
    # Claimed before the check for its copy, so a run another queue has just finished and
    # copied is seen as done; the python below inherits the lock and holds it while it lives.
    exec {lock}>"$data/$run.lock"
    if ! flock -n "$lock"; then
        echo "$(date -u +%FT%TZ) skip $env_id $run (another queue is running it)"
        exec {lock}>&-
        continue
    fi
    if [ -f "$out/progress.txt" ]; then echo "skip $run (done)"; exec {lock}>&-; continue; fi
    case $algo in
        td3_*|ddpg_*|sac_*) hid=256,256 epochs=250
            flags=(--hid "($hid)" --batch_size 100 --save_buffer) ;;
        vpg_*|ppo_*|trpo_*) hid=64,32 epochs=750
            flags=(--hid "($hid)" --steps_per_epoch 4000) ;;
    esac
    epochs=${epochs_override:-$epochs}
    dir="$data/${prefix}_$algo/${prefix}_${algo}_s$seed"
    log="$data/$run.log"
    [ "$env_id" = HalfCheetah-v4 ] && log="$data.$run.log"
    state=start
    if [ -f "$dir/checkpoint/checkpoint.npz" ]; then
        state=$(python - "$dir" "$algo" "$env_id" "$seed" "$epochs" "$hid" <<'EOF'
import sys
from spinup.algos import runs
run_dir, algo, env_id, seed, epochs, hid = sys.argv[1:]
cfg, meta, planned, done = runs.run_status(run_dir)
want = dict(algo=algo, env=env_id, seed=int(seed), epochs=int(epochs), steps_per_epoch=4000,
            hidden_sizes=[int(h) for h in hid.split(",")])
have = dict(algo=cfg.get("algo"), env=cfg.get("env_fn", {}).get("env_id"), seed=cfg.get("seed"),
            epochs=planned, steps_per_epoch=cfg.get("steps_per_epoch"),
            hidden_sizes=cfg.get("ac_kwargs", {}).get("hidden_sizes"))
bad = [f"{k} {have[k]!r} (the benchmark's: {v!r})" for k, v in want.items() if have[k] != v]
if bad:
    sys.exit(f"error: {run_dir} holds another run than this benchmark's: " + ", ".join(bad)
             + "; move it away to start this one")
print("finished" if done >= planned else "resume")
EOF
)
    fi
    case $state in
        finished)  # its queue stopped between the run's end and the copy
            echo "$(date -u +%FT%TZ) finished earlier $env_id $run" ;;
        resume)
            echo "$(date -u +%FT%TZ) resume $env_id $run"
            python -m spinup.run resume "$dir" >> "$log" 2>&1 ;;
        start)
            echo "$(date -u +%FT%TZ) start $env_id $run"
            python -m spinup.run "$algo" --env "$env_id" --seed "$seed" "${flags[@]}" \
                --epochs "$epochs" --exp_name "${prefix}_$algo" --data_dir "$data" > "$log" 2>&1 ;;
    esac
    mkdir -p "$out"
    cp "$dir/config.json" "$dir/progress.txt" "$out/"
    echo "$(date -u +%FT%TZ) done $env_id $run"
    exec {lock}>&-
done

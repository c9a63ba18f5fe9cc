#!/usr/bin/env bash
# The seed's grid search on HalfCheetah-v4, for both algorithms and both backends, then the best
# configuration of each algorithm and backend at 3 seeds. One command, on one machine or a Ray
# cluster (docs/grid.md).
#   VPG: hidden sizes x steps per epoch        TD3: hidden sizes x batch size
#
# Usage: bash scripts/halfcheetah_grid.sh [--smoke] [--data_dir DIR] [RUN FLAGS ...]
#   --smoke       the same grid with tiny budgets: checks the whole pipeline in a few minutes
#   --data_dir    where runs go (default data/hc_grid, or data/hc_grid_smoke with --smoke)
#   RUN FLAGS     given to every grid: --num_workers N (default 2 here), or
#                 --engine ray [--address HEAD:6379] [--cpus_per_variant C] [--gpus_per_variant G]
# With --engine ray the four grids of a stage are submitted at once and Ray spreads them over
# the cluster; locally they run one after another, --num_workers variants at a time.
#
# Outputs: DIR/grid/<algo>_<backend>/ (one variant folder per configuration, seed 0),
# DIR/best/<algo>/ (the best configuration of each backend at seeds 0 10 20), a summary.csv in
# each, and each grid's log in DIR/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."

smoke=0 data="" flags=()
while (($#)); do
    case "$1" in
        --smoke) smoke=1 ;;
        --data_dir) data=$2; shift ;;
        *) flags+=("$1") ;;
    esac
    shift
done
data=${data:-data/hc_grid$( ((smoke)) && echo _smoke)}
case " ${flags[*]-} " in
    *" --engine ray "*) together=1 ;;
    *) together=0 ;;
esac
case " ${flags[*]-} " in
    *" --num_workers "*) ;;
    *) ((together)) || flags+=(--num_workers 2) ;;
esac
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} SPINUP_NO_PROGRESS=1
mkdir -p "$data/logs"

# The grid, the same at every budget.
VPG_HID=("(64,32)" "(64,64)")
VPG_STEPS=(2000 4000)
TD3_HID=("(256,256)" "(400,300)")
TD3_BATCH=(100 256)
SEEDS=(0 10 20)
if ((smoke)); then
    vpg_budget=(--epochs 2)
    td3_budget=(--epochs 2 --steps_per_epoch 600 --start_steps 300 --update_after 300
                --num_test_episodes 1 --max_ep_len 300)
else
    # 200k-400k env steps per VPG run, 100k per TD3 run: about 2 hours on 2 cores with 2
    # workers, estimated from the per-epoch times in docs/results.md (not measured); PyTorch
    # TD3 with the larger networks and batches dominates.
    vpg_budget=(--epochs 100)
    td3_budget=(--epochs 25)
fi

pids=() failed=0
launch() {  # LOG CMD...: run now, or in the background when Ray takes the whole stage
    local log=$1; shift
    echo "+ $* > $log"
    if ((together)); then
        "$@" > "$log" 2>&1 &
        pids+=($!)
    else
        "$@" > "$log" 2>&1 || { echo "  (failures: see $log)"; failed=1; }
    fi
}
finish_stage() {
    for p in "${pids[@]-}"; do
        [[ -n $p ]] && { wait "$p" || { echo "  (a grid had failures: see $data/logs)"; failed=1; }; }
    done
    pids=()
}

echo "== Stage 1: the grid (seed 0) -> $data/grid"
for backend in jax pytorch; do
    launch "$data/logs/vpg_$backend.log" python -m spinup.run vpg_$backend --env HalfCheetah-v4 \
        --hid[hid] "${VPG_HID[@]}" --steps_per_epoch[steps] "${VPG_STEPS[@]}" "${vpg_budget[@]}" \
        --exp_name hc_vpg_$backend --data_dir "$data/grid/vpg_$backend" "${flags[@]}"
    launch "$data/logs/td3_$backend.log" python -m spinup.run td3_$backend --env HalfCheetah-v4 \
        --hid[hid] "${TD3_HID[@]}" --batch_size[bs] "${TD3_BATCH[@]}" "${td3_budget[@]}" \
        --exp_name hc_td3_$backend --data_dir "$data/grid/td3_$backend" "${flags[@]}"
done
finish_stage
for grid in vpg_jax vpg_pytorch td3_jax td3_pytorch; do
    python -m spinup.run summarize "$data/grid/$grid"
done

best() {  # GRID_DIR KEY: the best variant's hidden sizes and KEY, read from its config.json
    python - "$@" <<'EOF'
import csv, glob, json, sys
with open(sys.argv[1] + "/summary.csv") as f:
    top = min(csv.DictReader(f), key=lambda r: int(r["rank"]))
with open(sorted(glob.glob(top["folder"] + "/*/config.json"))[0]) as f:
    cfg = json.load(f)
print("(" + ",".join(map(str, cfg["ac_kwargs"]["hidden_sizes"])) + ")", cfg[sys.argv[2]])
EOF
}

echo "== Stage 2: the best configuration of each algorithm and backend at seeds ${SEEDS[*]} -> $data/best"
for backend in jax pytorch; do
    read -r hid steps <<< "$(best "$data/grid/vpg_$backend" steps_per_epoch)"
    launch "$data/logs/vpg_${backend}_best.log" python -m spinup.run vpg_$backend \
        --env HalfCheetah-v4 --hid "$hid" --steps_per_epoch "$steps" "${vpg_budget[@]}" \
        --seed "${SEEDS[@]}" --exp_name hc_vpg_${backend}_best --data_dir "$data/best/vpg" \
        "${flags[@]}"
    read -r hid bs <<< "$(best "$data/grid/td3_$backend" batch_size)"
    launch "$data/logs/td3_${backend}_best.log" python -m spinup.run td3_$backend \
        --env HalfCheetah-v4 --hid "$hid" --batch_size "$bs" "${td3_budget[@]}" \
        --seed "${SEEDS[@]}" --exp_name hc_td3_${backend}_best --data_dir "$data/best/td3" \
        "${flags[@]}"
done
finish_stage
for algo in vpg td3; do
    python -m spinup.run summarize "$data/best/$algo"
done
exit $failed

#!/usr/bin/env bash
# TD3 on HalfCheetah-v4 with both backends, SpinningUp's defaults (100 epochs of 4000 steps),
# run side by side (one variant per core), then the learning curves and the speed report.
# Usage: bash scripts/halfcheetah_td3.sh [EPOCHS] [DATA_DIR]
set -euo pipefail
epochs=${1:-100}
data=${2:-data}
mkdir -p "$data"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} SPINUP_NO_PROGRESS=1
python -m spinup.run td3_jax --env HalfCheetah-v4 --epochs "$epochs" --exp_name hc_td3_jax \
    --data_dir "$data" > "$data/td3_jax.log" 2>&1 &
python -m spinup.run td3_pytorch --env HalfCheetah-v4 --epochs "$epochs" \
    --exp_name hc_td3_pytorch --data_dir "$data" > "$data/td3_pytorch.log" 2>&1 &
wait
python -m spinup.run plot "$data/hc_td3_jax" "$data/hc_td3_pytorch" --out docs/halfcheetah_td3.png
python -m spinup.run compare "$data/hc_td3_jax" "$data/hc_td3_pytorch" --out "$data/compare"

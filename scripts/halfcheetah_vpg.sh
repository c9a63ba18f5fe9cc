#!/usr/bin/env bash
# VPG on HalfCheetah-v4 with both backends, SpinningUp's benchmark setting (hidden (64,32),
# 4000 steps per epoch) for EPOCHS epochs (250 = 1M steps), run side by side.
# Usage: bash scripts/halfcheetah_vpg.sh [EPOCHS] [DATA_DIR]
set -euo pipefail
epochs=${1:-250}
data=${2:-data}
mkdir -p "$data"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} SPINUP_NO_PROGRESS=1
for backend in jax pytorch; do
    python -m spinup.run vpg_$backend --env HalfCheetah-v4 --hid "(64,32)" --epochs "$epochs" \
        --exp_name hc_vpg_$backend --data_dir "$data" > "$data/vpg_$backend.log" 2>&1 &
done
wait
python -m spinup.run plot "$data/hc_vpg_jax" "$data/hc_vpg_pytorch" -y AverageEpRet \
    --out docs/halfcheetah_vpg.png

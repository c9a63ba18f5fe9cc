"""Each backend learns CartPole-v1 (categorical policy) and InvertedPendulum-v4 (Gaussian
policy) in 40 epochs of 1000 steps (a few seconds each).

Thresholds, measured on the mean AverageEpRet of the last 5 epochs over seeds 0-5 (both
backends): CartPole (pi_lr 0.01) 281-455 when working; 9 with the policy-gradient sign flipped,
10-19 with the advantages scrambled (reversed in time). InvertedPendulum (pi_lr 0.02) 450-1000
when working; 3 with the sign flipped, 3-12 with scrambled advantages. A random policy scores
~22 and ~5. 150 separates the two with a wide margin on both sides.
"""
import importlib

import numpy as np
import pytest

from spinup.algos.common.envs import EnvFn

THRESHOLD = 150.0
CASES = {"CartPole-v1": 0.01, "InvertedPendulum-v4": 0.02}


def last_returns(progress_path, n=5):
    with open(progress_path) as f:
        rows = [line.rstrip("\n").split("\t") for line in f]
    col = rows[0].index("AverageEpRet")
    return [float(r[col]) for r in rows[-n:]]


@pytest.mark.slow
@pytest.mark.parametrize("env_id", list(CASES))
@pytest.mark.parametrize("backend", ["pytorch", "jax"])
def test_vpg_learns(backend, env_id, tmp_path):
    fn = getattr(importlib.import_module(f"spinup.algos.{backend}.vpg.vpg"), f"vpg_{backend}")
    kwargs = dict(device="cpu") if backend == "pytorch" else {}
    fn(EnvFn(env_id), ac_kwargs=dict(hidden_sizes=(32,)), seed=0, steps_per_epoch=1000,
       epochs=40, pi_lr=CASES[env_id], logger_kwargs=dict(output_dir=str(tmp_path),
                                                          verbose=False), **kwargs)
    rets = last_returns(tmp_path / "progress.txt")
    assert np.mean(rets) >= THRESHOLD, f"{backend} on {env_id}: last AverageEpRet {rets}"

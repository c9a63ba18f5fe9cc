"""TD3 learns Pendulum-v1 in both backends.

With (64, 64) networks, 8000 steps (1000 random, then 7000 steps with 7000 updates) take a
working agent from about -1500 to about -100 average test return; the threshold is -400.
Measured over seeds 0, 1, 2 (return at the last epoch): PyTorch -78/-98/-124, JAX
-76/-124/-126 (the two backends track each other: same initial weights, same exploration
noise). Broken on purpose (seed 0, this test's run), both backends end far below the
threshold: polyak written backwards (online weighted by polyak) at -1164 (PyTorch) / -1580
(JAX), a Q target built from obs instead of obs2 at -1415 / -1151.
"""
import numpy as np
import pytest

from spinup.algos.common.envs import EnvFn

PENDULUM_RUN = dict(ac_kwargs=dict(hidden_sizes=(64, 64)), seed=0, steps_per_epoch=1000,
                    epochs=8, start_steps=1000, update_after=1000, num_test_episodes=5)
THRESHOLD = -400


def entry_point(backend):
    if backend == "jax":
        from spinup.algos.jax.td3.td3 import td3_jax
        return td3_jax
    from spinup.algos.pytorch.td3.td3 import td3_pytorch
    return td3_pytorch


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["pytorch", "jax"])
def test_td3_learns_pendulum(backend, tmp_path):
    entry_point(backend)(EnvFn("Pendulum-v1"), **PENDULUM_RUN,
                         logger_kwargs=dict(output_dir=str(tmp_path), verbose=False))
    progress = np.atleast_1d(np.genfromtxt(tmp_path / "progress.txt", names=True,
                                           delimiter="\t"))
    test_returns = progress["AverageTestEpRet"]
    assert test_returns[-1] > THRESHOLD, f"test returns by epoch: {np.round(test_returns)}"

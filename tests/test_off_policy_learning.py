"""DDPG, TD3 and SAC learn Pendulum-v1 in both backends.

With (64, 64) networks, 8000 steps (1000 random, then 7000 steps with 7000 updates) take a
working agent from about -1500 to about -100 average test return.

TD3: the threshold is -400 on the last epoch. Measured over seeds 0, 1, 2 (return at the last
epoch): PyTorch -78/-98/-124, JAX -76/-124/-126 (the two backends track each other: same
initial weights, same exploration noise). Broken on purpose (seed 0, this test's run), both
backends end far below the threshold: polyak written backwards (online weighted by polyak)
at -1164 (PyTorch) / -1580 (JAX), a Q target built from obs instead of obs2 at -1415 / -1151.

DDPG and SAC swing more from epoch to epoch (no policy delay or target smoothing; SAC's
stochastic policy), so their threshold is on the mean of the last 3 epochs: -600. Measured
with this test's run at seeds 0 / 1 / 2 (2026-11-30, 2-core machine; mean of the last 3
epochs' test returns): DDPG PyTorch -142/-252/-106, JAX -136/-294/-106; SAC (alpha 0.2) PyTorch
-366/-192/-107, JAX -264/-195/-107; SAC with alpha='auto' PyTorch -142/-267/-107, JAX
-379/-188/-310. A learner that does not learn stays near the first epochs' -1000 to -1700.
"""
import numpy as np
import pytest

from spinup.algos import registry
from spinup.algos.common.envs import EnvFn

PENDULUM_RUN = dict(ac_kwargs=dict(hidden_sizes=(64, 64)), seed=0, steps_per_epoch=1000,
                    epochs=8, start_steps=1000, update_after=1000, num_test_episodes=5)
# algo -> (epochs averaged, threshold)
THRESHOLDS = dict(td3=(1, -400), ddpg=(3, -600), sac=(3, -600))
CASES = [(a, b, {}) for a in THRESHOLDS for b in ("pytorch", "jax")]
CASES.append(("sac", "jax", dict(alpha="auto")))


@pytest.mark.slow
@pytest.mark.parametrize("algo,backend,kw", CASES,
                         ids=[f"{a}_{b}" + ("-auto" if k else "") for a, b, k in CASES])
def test_learns_pendulum(algo, backend, kw, tmp_path):
    registry.entry_point(f"{algo}_{backend}")(
        EnvFn("Pendulum-v1"), **PENDULUM_RUN, **kw,
        logger_kwargs=dict(output_dir=str(tmp_path), verbose=False))
    progress = np.atleast_1d(np.genfromtxt(tmp_path / "progress.txt", names=True,
                                           delimiter="\t"))
    test_returns = progress["AverageTestEpRet"]
    last, threshold = THRESHOLDS[algo]
    assert test_returns[-last:].mean() > threshold, \
        f"test returns by epoch: {np.round(test_returns)}"

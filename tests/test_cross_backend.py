"""Saved models are interchangeable across backends: a policy trained in one backend runs
in the other, through the canonical parameter names, and acts the same."""
import gymnasium as gym
import numpy as np
import pytest

from spinup.algos import runs
from spinup.algos.common.envs import EnvFn

OFF = dict(steps_per_epoch=150, start_steps=50, update_after=50, update_every=50,
           batch_size=32, num_test_episodes=1, ac_kwargs=dict(hidden_sizes=(16, 16)))
CASES = [("td3", "Pendulum-v1", OFF), ("ddpg", "Pendulum-v1", OFF),
         ("sac", "Pendulum-v1", OFF), ("sac", "HalfCheetah-v4", dict(OFF, alpha="auto")),
         ("ppo", "HalfCheetah-v4", dict(steps_per_epoch=200, train_v_iters=3,
                                        train_pi_iters=3, ac_kwargs=dict(hidden_sizes=(16, 8)))),
         ("ppo", "CartPole-v1", dict(steps_per_epoch=200, train_v_iters=3, train_pi_iters=3)),
         ("vpg", "HalfCheetah-v4", dict(steps_per_epoch=200, train_v_iters=3,
                                        ac_kwargs=dict(hidden_sizes=(16, 8)))),
         ("vpg", "CartPole-v1", dict(steps_per_epoch=200, train_v_iters=3)),
         ("trpo", "HalfCheetah-v4", dict(steps_per_epoch=200, train_v_iters=3,
                                         ac_kwargs=dict(hidden_sizes=(16, 8)))),
         ("trpo", "CartPole-v1", dict(steps_per_epoch=200, train_v_iters=3, algo="npg"))]


@pytest.mark.parametrize("family,env_id,kw", CASES,
                         ids=[f"{f}-{e}" + ("-auto" if "alpha" in k else "") for f, e, k in CASES])
@pytest.mark.parametrize("trained_in", ["jax", "pytorch"])
def test_policy_runs_in_the_other_backend(family, env_id, kw, trained_in, tmp_path):
    algo = f"{family}_{trained_in}"
    extra = dict(device="cpu") if trained_in == "pytorch" else {}
    runs.backend_module(algo).__dict__[algo](
        EnvFn(env_id), epochs=1, seed=2, logger_kwargs=dict(output_dir=str(tmp_path),
                                                             verbose=False), **kw, **extra)
    other = "pytorch" if trained_in == "jax" else "jax"
    same = runs.load(str(tmp_path))
    crossed = runs.load(str(tmp_path), backend=other)
    assert type(crossed).__module__.startswith(f"spinup.algos.{other}.")
    for k, v in same.get_params().items():
        np.testing.assert_allclose(crossed.get_params()[k], v, rtol=0, atol=0, err_msg=k)
    env = gym.make(env_id)
    obs = np.stack([env.observation_space.sample() for _ in range(20)]).astype(np.float32)
    for o in obs:
        a, b = same.act(o, deterministic=True), crossed.act(o, deterministic=True)
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-5)


def test_unknown_backend_is_named(tmp_path):
    from spinup.algos.common.checks import InputError
    runs.backend_module("vpg_jax").vpg_jax(
        EnvFn("CartPole-v1"), epochs=1, steps_per_epoch=100, train_v_iters=1,
        logger_kwargs=dict(output_dir=str(tmp_path), verbose=False))
    with pytest.raises(InputError, match="backend='tf'"):
        runs.load(str(tmp_path), backend="tf")


@pytest.mark.parametrize("trained_in,run_in", [("jax", "pytorch"), ("pytorch", "jax")])
def test_test_policy_runs_a_policy_in_the_other_backend(trained_in, run_in, tmp_path, capsys):
    """The CLI: test_policy --backend gives the same episode returns as the training backend
    (float32 forward passes of identical weights)."""
    from spinup.run import main
    algo = f"td3_{trained_in}"
    extra = dict(device="cpu") if trained_in == "pytorch" else {}
    runs.backend_module(algo).__dict__[algo](
        EnvFn("Pendulum-v1"), epochs=1, seed=1, logger_kwargs=dict(output_dir=str(tmp_path),
                                                                   verbose=False), **CASES[0][2],
        **extra)
    returns = {}
    for backend in (trained_in, run_in):
        capsys.readouterr()
        assert main(["test_policy", str(tmp_path), "--episodes", "2", "--backend", backend]) == 0
        returns[backend] = capsys.readouterr().out.strip().splitlines()[-1]
    assert returns[trained_in].startswith("AverageEpRet")
    ours = float(returns[trained_in].split()[1])
    theirs = float(returns[run_in].split()[1])
    assert theirs == pytest.approx(ours, rel=1e-4)

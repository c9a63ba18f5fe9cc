"""PyTorch and JAX VPG compute the same thing: from the same parameters and the same batch they
give the same log-probs, entropy, losses and gradients, and the same parameters after one full
update (a policy step and train_v_iters value steps).

Both run in float64 (JAX inside a scoped ``jax.enable_x64``), so that what is compared is the
math and not float32 rounding: in float32 the two agree to ~1e-6 on losses and gradients, but
80 Adam steps amplify rounding differences (Adam's first step is lr * sign(g) where g ~ 0) to
~1e-5 on some parameters, right at the tolerance.
"""
import gymnasium as gym
import jax
import numpy as np
import pytest

from spinup.algos.common.vpg import VPG_UPDATE_KEYS, init_vpg_params
from spinup.algos.jax.vpg.vpg import VPGLearner as JaxLearner
from spinup.algos.pytorch.vpg.vpg import VPGLearner as TorchLearner

RTOL = 1e-5
N = 256
KW = dict(hidden_sizes=(16, 8), activation="tanh", pi_lr=1e-2, vf_lr=1e-2, train_v_iters=20,
          dtype="float64")


def rel_err(a, b):
    """Norm-wise relative error of a against the reference b."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12)


def make_batch(env, rng):
    obs = rng.normal(size=(N, env.observation_space.shape[0]))
    if isinstance(env.action_space, gym.spaces.Discrete):
        act = rng.integers(0, env.action_space.n, N).astype(np.int64)
    else:
        act = rng.normal(size=(N, *env.action_space.shape))
    adv = rng.normal(size=N)
    return dict(obs=obs, act=act, adv=(adv - adv.mean()) / adv.std(),
                ret=rng.normal(5.0, 2.0, N), logp=rng.normal(-2.0, 0.5, N))


def make_params(env, rng):
    params = init_vpg_params(env.observation_space, env.action_space, KW["hidden_sizes"], 0)
    if "pi/log_std" in params:  # not all equal, so per-dimension mistakes show
        params["pi/log_std"] = rng.uniform(-1.0, 0.0, params["pi/log_std"].shape)
    return {k: v.astype(np.float64) for k, v in params.items()}


@pytest.fixture(params=["HalfCheetah-v4", "CartPole-v1"], ids=["box", "discrete"])
def setup(request):
    env = gym.make(request.param)
    rng = np.random.default_rng(0)
    params, batch = make_params(env, rng), make_batch(env, rng)
    with jax.enable_x64(True):
        t = TorchLearner(env.observation_space, env.action_space, device="cpu", **KW)
        j = JaxLearner(env.observation_space, env.action_space, **KW)
        t.set_params(params)
        j.set_params(params)
        yield env, t, j, params, batch
    env.close()


def test_same_initial_networks_for_the_same_seed():
    env = gym.make("HalfCheetah-v4")
    kw = dict(KW, dtype="float32", seed=3)
    t = TorchLearner(env.observation_space, env.action_space, device="cpu", **kw).get_params()
    j = JaxLearner(env.observation_space, env.action_space, **kw).get_params()
    assert set(t) == set(j)
    for k in t:
        np.testing.assert_array_equal(t[k], j[k], err_msg=k)
    np.testing.assert_array_equal(t["pi/log_std"], -0.5)


def test_losses_and_gradients_match(setup):
    env, t, j, params, batch = setup
    with jax.enable_x64(True):
        (lt, gt), (lj, gj) = t.losses_and_grads(batch), j.losses_and_grads(batch)
    for key in ("logp", "Entropy", "LossPi", "LossV"):
        assert rel_err(lj[key], lt[key]) <= RTOL, key
    assert set(gt) == set(gj) == set(params)
    for key in gt:
        assert np.linalg.norm(gt[key]) > 0, key  # every parameter takes part
        assert rel_err(gj[key], gt[key]) <= RTOL, key


def test_one_full_update_matches(setup):
    env, t, j, params, batch = setup
    with jax.enable_x64(True):
        st, sj = t.update(batch), j.update(batch)
        pt, pj = t.get_params(), j.get_params()
    assert list(st) == list(sj) == list(VPG_UPDATE_KEYS)
    for key in VPG_UPDATE_KEYS:
        assert rel_err(sj[key], st[key]) <= RTOL, key
    assert st["KL"] != 0 and st["DeltaLossPi"] < 0  # measured after the policy step
    for key in pt:
        assert not np.allclose(pt[key], params[key]), key  # the update moved it
        assert rel_err(pj[key], pt[key]) <= RTOL, key


def test_acting_matches(setup):
    env, t, j, params, batch = setup
    obs = batch["obs"][:5]
    with jax.enable_x64(True):
        for o in obs:
            np.testing.assert_allclose(j.act(o, deterministic=True), t.act(o, True), rtol=1e-9)
            np.testing.assert_allclose(j.value(o), t.value(o), rtol=1e-9)
            for learner in (t, j):  # a sampled action, and its log-prob under the policy
                a, v, logp = learner.step(o)
                assert np.shape(a) == env.action_space.shape
                one = dict(obs=o[None], act=a[None], adv=np.ones(1), ret=np.zeros(1),
                           logp=np.zeros(1))
                np.testing.assert_allclose(logp, learner.losses_and_grads(one)[0]["logp"][0],
                                           rtol=1e-9)
                np.testing.assert_allclose(v, t.value(o), rtol=1e-9)

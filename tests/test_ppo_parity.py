"""PyTorch and JAX PPO compute the same thing: from the same parameters and the same batch they
give the same log-probs, entropy, losses, approximate KL, clip fraction and gradients, and
after one full update (the policy phase with its KL early stop, then train_v_iters value
steps) the same parameters, statistics and StopIter: an early stop in the middle of the
policy phase, one before its first step, and none at all.

Both run in float64 (JAX inside a scoped ``jax.enable_x64``), so that what is compared is the
math and not float32 rounding (see tests/test_vpg_parity.py). The batch's ``logp`` is the
policy's own log-prob plus noise, so that the ratios spread over the clip range from the
first step and the clipping takes part in what is compared.
"""
import jax
import numpy as np
import pytest
from gymnasium import spaces

from spinup.algos.common.nets import init_stochastic_actor_critic
from spinup.algos.common.ppo import PPO_UPDATE_KEYS
from spinup.algos.jax.ppo.ppo import PPOLearner as JaxLearner
from spinup.algos.pytorch.ppo.ppo import PPOLearner as TorchLearner

RTOL = 1e-5
N = 256
SPACES = dict(box=(spaces.Box(-np.inf, np.inf, (17,), np.float64),
                   spaces.Box(-1.0, 1.0, (6,), np.float32)),
              discrete=(spaces.Box(-np.inf, np.inf, (4,), np.float64), spaces.Discrete(3)))
KW = dict(hidden_sizes=(16, 8), activation="tanh", clip_ratio=0.2, pi_lr=1e-2, vf_lr=1e-2,
          train_pi_iters=40, train_v_iters=10, target_kl=0.01, dtype="float64")
# Update cases: an early stop in the middle of the policy phase (after 4 steps for the box,
# 34 for the discrete space), one before the first step (the data's policy is already too
# far), and none (no KL limit).
CASES = dict(stops=dict(pi_lr=3e-3), at_once=dict(logp_shift=1.0),
             never=dict(pi_lr=1e-3, train_pi_iters=10, target_kl=1e6))


def rel_err(a, b):
    """Norm-wise relative error of a against the reference b."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12)


def make_params(act_space, obs_dim, rng):
    params = init_stochastic_actor_critic(obs_dim, act_space, KW["hidden_sizes"], 0)
    if "pi/log_std" in params:  # not all equal, so per-dimension mistakes show
        params["pi/log_std"] = rng.uniform(-1.0, 0.0, params["pi/log_std"].shape)
    return {k: v.astype(np.float64) for k, v in params.items()}


def make_batch(obs_space, act_space, rng):
    """A batch without ``logp`` yet: the policy's own log-probs are added by ``with_logp``."""
    obs = rng.normal(size=(N, obs_space.shape[0]))
    if isinstance(act_space, spaces.Discrete):
        act = rng.integers(0, act_space.n, N).astype(np.int64)
    else:
        act = rng.normal(0.0, 0.5, size=(N, *act_space.shape))
    adv = rng.normal(size=N)
    return dict(obs=obs, act=act, adv=(adv - adv.mean()) / adv.std(),
                ret=rng.normal(5.0, 2.0, N))


def with_logp(batch, learner, rng, shift=0.0):
    """``batch`` with logp_old = the learner's current logp + noise: ratios from about 0.6 to
    1.6 (some of them clipped), and a small approximate KL (0.004 + ``shift``) at the start."""
    logp = learner.losses_and_grads({**batch, "logp": np.zeros(N)})[0]["logp"]
    noise = rng.normal(0.0, 0.2, N)
    return {**batch, "logp": logp + noise - noise.mean() + 0.004 + shift}


def learners(kind, **kw):
    """A PyTorch and a JAX learner (JAX's to be used inside ``jax.enable_x64``)."""
    obs_space, act_space = SPACES[kind]
    kw = {**KW, **kw}
    return (TorchLearner(obs_space, act_space, device="cpu", **kw),
            JaxLearner(obs_space, act_space, **kw))


def setup(kind, logp_shift=0.0, **kw):
    """Both learners, from the same canonical parameters, and the same batch."""
    obs_space, act_space = SPACES[kind]
    rng = np.random.default_rng(0)
    params = make_params(act_space, obs_space.shape[0], rng)
    batch = make_batch(obs_space, act_space, rng)
    t, j = learners(kind, **kw)
    t.set_params(params)
    j.set_params(params)
    return t, j, params, with_logp(batch, t, rng, logp_shift)


def reference_pi_stats(logp, batch, clip_ratio):
    """PPO-Clip's loss, approximate KL and clip fraction in NumPy, from the log-probs."""
    ratio = np.exp(logp - batch["logp"])
    clipped = np.clip(ratio, 1 - clip_ratio, 1 + clip_ratio) * batch["adv"]
    loss_pi = -np.minimum(ratio * batch["adv"], clipped).mean()
    clip_frac = ((ratio > 1 + clip_ratio) | (ratio < 1 - clip_ratio)).mean()
    return dict(LossPi=loss_pi, KL=(batch["logp"] - logp).mean(), ClipFrac=clip_frac)


@pytest.fixture(params=["box", "discrete"])
def kind(request):
    return request.param


def test_same_initial_networks_for_the_same_seed(kind):
    with jax.enable_x64(True):
        t, j = learners(kind, seed=3, dtype="float32")
        pt, pj = t.get_params(), j.get_params()
    assert set(pt) == set(pj)
    for k in pt:
        np.testing.assert_array_equal(pt[k], pj[k], err_msg=k)


def test_losses_and_gradients_match(kind):
    with jax.enable_x64(True):
        t, j, params, batch = setup(kind)
        (lt, gt), (lj, gj) = t.losses_and_grads(batch), j.losses_and_grads(batch)
    for key in ("logp", "Entropy", "LossPi", "LossV", "KL", "ClipFrac"):
        assert rel_err(lj[key], lt[key]) <= RTOL, key
    assert 0.1 < lt["ClipFrac"] < 0.9  # the clip takes part in the loss and the gradients
    ref = reference_pi_stats(lt["logp"], batch, KW["clip_ratio"])
    for key, value in ref.items():
        assert rel_err(lt[key], value) <= RTOL, key
    assert set(gt) == set(gj) == set(params)
    for key in gt:
        assert np.linalg.norm(gt[key]) > 0, key  # every parameter takes part
        assert rel_err(gj[key], gt[key]) <= RTOL, key


@pytest.mark.parametrize("case", CASES)
def test_one_full_update_matches(kind, case):
    kw = CASES[case]
    with jax.enable_x64(True):
        t, j, params, batch = setup(kind, **kw)
        st, sj = t.update(batch), j.update(batch)
        pt, pj = t.get_params(), j.get_params()
    assert list(st) == list(sj) == list(PPO_UPDATE_KEYS)
    assert all(type(v) is float for v in [*st.values(), *sj.values()])
    assert st["StopIter"] == sj["StopIter"]
    for key in PPO_UPDATE_KEYS:
        if key.startswith("Delta"):
            # A change of a loss is relative to the loss: at_once's DeltaLossPi is 0 in exact
            # arithmetic, and on a GPU the two evaluations of the same loss may differ by an ulp.
            loss = st[key[len("Delta"):]]
            assert abs(sj[key] - st[key]) <= RTOL * max(abs(st[key]), abs(loss)), key
        else:
            assert rel_err(sj[key], st[key]) <= RTOL, key
    n_iters = kw.get("train_pi_iters", KW["train_pi_iters"])
    limit = 1.5 * kw.get("target_kl", KW["target_kl"])
    if case == "stops":
        assert 0 < st["StopIter"] < n_iters
        assert st["KL"] > limit  # measured where it stopped: at the final policy
    elif case == "at_once":
        assert st["StopIter"] == 0 and st["DeltaLossPi"] == 0
    else:
        assert st["StopIter"] == n_iters
    for key in pt:
        if key.startswith("pi/") and case == "at_once":
            np.testing.assert_array_equal(pt[key], params[key], err_msg=key)
            np.testing.assert_array_equal(pj[key], params[key], err_msg=key)
        else:
            assert not np.allclose(pt[key], params[key]), key  # the update moved it
        assert rel_err(pj[key], pt[key]) <= RTOL, key


def test_the_kl_check_comes_before_each_policy_step(kind):
    """Stopped at StopIter = k, the policy is the one after k steps: a learner allowed only
    k policy steps ends at the same policy without a stop."""
    with jax.enable_x64(True):
        t, j, params, batch = setup(kind, **CASES["stops"])
        k = int(t.update(batch)["StopIter"])
        j.update(batch)
        t2, j2, _, _ = setup(kind, **{**CASES["stops"], "train_pi_iters": k})
        s2t, s2j = t2.update(batch), j2.update(batch)
        for first, second, stats in ((t, t2, s2t), (j, j2, s2j)):
            assert stats["StopIter"] == k
            p1, p2 = first.get_params(), second.get_params()
            for key in p1:
                np.testing.assert_allclose(p2[key], p1[key], rtol=1e-12, atol=1e-14,
                                           err_msg=key)

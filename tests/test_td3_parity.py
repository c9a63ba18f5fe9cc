"""TD3: the PyTorch and JAX learners compute the same thing.

From the same canonical weights, minibatches and target-noise draws, both backends give the
same Q targets, losses, gradients, and parameters (online and target) after full updates; the
JAX fused block (one lax.scan) equals the same updates run one by one.

Comparisons run in float64 (torch.float64; JAX inside ``jax.enable_x64``): in float32 a single
Adam step already differs by up to ~5e-4 relative between the backends, because Adam divides
each gradient by its own magnitude and so amplifies the last-bit differences of tiny
gradients. In float64 the backends agree to ~1e-13, far inside the required 1e-5.
"""
import jax
import numpy as np
import pytest
import torch

import gymnasium as gym

from spinup.algos.common.td3 import init_td3_params
from spinup.algos.jax.td3.td3 import TD3Learner as JaxLearner
from spinup.algos.pytorch.td3.td3 import TD3Learner as TorchLearner
from tests.helpers import parity
from tests.helpers.parity import assert_close, moved_targets, rel_err

OBS_DIM, ACT_DIM, HIDDEN = 5, 2, (32, 32)
# Per-dimension limits, and enough target noise that its clip is exercised.
ACT_LIMIT = np.array([1.0, 2.0], np.float32)
LEARNER_KW = dict(obs_space=gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,)),
                  act_space=gym.spaces.Box(-ACT_LIMIT, ACT_LIMIT),
                  hidden_sizes=HIDDEN, activation="relu", gamma=0.9, polyak=0.8, pi_lr=1e-2,
                  q_lr=1e-2, act_noise=0.1, target_noise=0.5, noise_clip=0.5, policy_delay=2, seed=0,
                  dtype="float64")


def start_params(seed=0):
    """Canonical initial weights with targets moved away from the online nets, so that the
    direction of the polyak average shows."""
    return moved_targets(init_td3_params(OBS_DIM, ACT_DIM, HIDDEN, seed), seed)


def make_batches(n, batch=64, seed=0):
    return parity.make_batches(n, OBS_DIM, ACT_LIMIT, batch, seed)


def make_eps(n, batch=64, seed=1):
    return np.random.default_rng(seed).standard_normal((n, batch, ACT_DIM))


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def learners(params):
    pt, jx = TorchLearner(**LEARNER_KW, device="cpu"), JaxLearner(**LEARNER_KW)
    pt.set_params(params)
    jx.set_params(params)
    return pt, jx


def test_same_initial_networks_for_the_same_seed():
    kw = {**LEARNER_KW, "dtype": "float32"}
    pt, jx = TorchLearner(**kw, device="cpu"), JaxLearner(**kw)
    a, b = pt.get_params(), jx.get_params()
    assert sorted(a) == sorted(b)
    assert {"pi/0/w", "q1/2/b", "q2/1/w", "pi_targ/0/w", "q1_targ/0/b", "q2_targ/2/w"} <= set(a)
    assert a["pi/0/w"].shape == (OBS_DIM, 32) and a["q1/0/w"].shape == (OBS_DIM + ACT_DIM, 32)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    np.testing.assert_array_equal(a["q1_targ/1/w"], a["q1/1/w"])
    obs = np.random.default_rng(0).standard_normal(OBS_DIM)
    np.testing.assert_allclose(pt.act(obs), jx.act(obs), rtol=1e-5, atol=1e-6)


def test_targets_losses_and_gradients_match(x64):
    pt, jx = learners(start_params())
    batch = {k: v[0] for k, v in make_batches(1).items()}
    eps = make_eps(1)[0]
    a, b = pt.diagnose(batch, eps), jx.diagnose(batch, eps)
    assert sorted(a) == sorted(b)
    assert {"Targ", "LossQ", "LossPi", "grad/q1/0/w", "grad/q2/2/b", "grad/pi/1/w"} <= set(a)
    for k in a:
        assert_close(a[k], b[k], k)
    # The target really uses the clipped noise: a different draw changes it.
    assert rel_err(jx.diagnose(batch, eps + 1.0)["Targ"], b["Targ"]) > 1e-3


def test_one_full_update_matches_and_moves_targets_the_right_way(x64):
    params = start_params()
    pt, jx = learners(params)
    batches, eps = make_batches(1), make_eps(1)
    info_pt, info_jx = pt.update(batches, eps), jx.update(batches, eps)
    for k in ("LossQ", "LossPi", "Q1Vals", "Q2Vals"):
        assert_close(info_pt[k], info_jx[k], k)
    after_pt, after_jx = pt.get_params(), jx.get_params()
    for k in params:
        assert_close(after_pt[k], after_jx[k], k)
    # Update 0 of a block does the policy step, then targ <- polyak*targ + (1-polyak)*online.
    polyak = LEARNER_KW["polyak"]
    for k in params:
        if "_targ/" in k:
            online = after_jx[k.replace("_targ/", "/")]
            assert_close(after_jx[k], polyak * params[k] + (1 - polyak) * online, k)
    assert rel_err(after_jx["pi/0/w"], params["pi/0/w"]) > 1e-4  # the policy did move


def test_block_with_delayed_policy_steps_matches(x64):
    """Five updates with policy_delay=2: policy and target steps at j = 0, 2, 4 only."""
    params = start_params()
    pt, jx = learners(params)
    batches, eps = make_batches(5), make_eps(5)
    info_pt, info_jx = pt.update(batches, eps), jx.update(batches, eps)
    assert info_pt["LossQ"].shape == info_jx["LossQ"].shape == (5,)
    assert info_pt["LossPi"].shape == info_jx["LossPi"].shape == (3,)
    assert info_jx["Q1Vals"].shape == (5, 64)
    for k in info_pt:
        assert_close(info_pt[k], info_jx[k], k)
    after_pt, after_jx = pt.get_params(), jx.get_params()
    for k in params:
        assert_close(after_pt[k], after_jx[k], k)


def test_jax_fused_block_equals_single_updates(x64):
    params = start_params()
    _, fused = learners(params)
    _, single = learners(params)
    k = 4
    batches, eps = make_batches(k), make_eps(k)
    info = fused.update(batches, eps)
    update_one = jax.jit(single.update_one)
    state, loss_q = single.state, []
    for j in range(k):
        state, (lq, _, _) = update_one(state, j, {n: v[j] for n, v in batches.items()}, eps[j])
        loss_q.append(lq)
    single.state = state
    assert_close(info["LossQ"], np.array(loss_q), "LossQ")
    a, b = fused.get_params(), single.get_params()
    for name in a:
        assert_close(a[name], b[name], name)


def test_pytorch_policy_step_leaves_q_alone():
    """The Q networks are really frozen during the policy step: no gradient reaches them
    (SpinningUp's freeze walked an already-consumed iterator and did nothing)."""
    pt = TorchLearner(**{**LEARNER_KW, "dtype": "float32"}, device="cpu")
    batch = {k: torch.as_tensor(v[0], dtype=torch.float32) for k, v in make_batches(1).items()}
    q_before = {k: v for k, v in pt.get_params().items() if k.startswith("q")}
    for p in pt.q_params:
        p.grad = None
    pt.update_pi(batch)
    assert all(p.grad is None for p in pt.q_params)
    assert all(p.requires_grad for p in pt.q_params)  # unfrozen again for the next Q step
    after = pt.get_params()
    for k, v in q_before.items():
        np.testing.assert_array_equal(after[k], v, err_msg=k)


def draw_noise(learner, n_updates, batch_size):
    """A block's target noise as ``update`` draws it (the JAX learner's key advanced)."""
    if isinstance(learner, TorchLearner):
        return learner.draw_noise(n_updates, batch_size).numpy()
    key, eps = learner._draw_noise(learner.state.key, n_updates, batch_size)
    learner.state = learner.state._replace(key=key)
    return np.asarray(eps)


@pytest.mark.parametrize("Learner", [TorchLearner, JaxLearner], ids=["pytorch", "jax"])
def test_target_noise_is_gaussian_and_fresh(Learner):
    """Standard-normal draws, different for every update of a block and for every block."""
    kw = {**LEARNER_KW, "dtype": "float32"}
    learner = Learner(**kw, device="cpu") if Learner is TorchLearner else Learner(**kw)
    eps = [draw_noise(learner, 50, 100) for _ in range(2)]
    assert eps[0].shape == (50, 100, ACT_DIM)
    x = np.concatenate([e.ravel() for e in eps])
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05
    assert np.mean(np.abs(x) > 2) > 0.03  # ~4.6% for a normal; a uniform on [-1, 1] has none
    assert not np.allclose(eps[0][0], eps[0][1])
    assert not np.allclose(eps[0], eps[1])

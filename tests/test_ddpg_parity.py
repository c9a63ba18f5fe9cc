"""DDPG: the PyTorch and JAX learners compute the same thing, and it is DDPG.

From the same canonical weights and minibatches, both backends give the Q targets and losses
of a NumPy reference, the same gradients, and the same parameters (online and target) after
full updates; the JAX fused block (one lax.scan) equals the same updates run one by one.
Comparisons run in float64, as in tests/test_td3_parity.py.

Also here: every off-policy learner's ``set_params`` is strict (unknown, missing and
wrong-shaped parameters are rejected before anything is loaded).
"""
import gymnasium as gym
import jax
import numpy as np
import pytest
import torch

from spinup.algos.common.nets import init_deterministic_actor_critic
from spinup.algos.common.numpy_policy import MLP
from spinup.algos.jax.ddpg.ddpg import DDPGLearner as JaxLearner
from spinup.algos.jax.td3.td3 import TD3Learner as JaxTD3
from spinup.algos.pytorch.ddpg.ddpg import DDPGLearner as TorchLearner
from spinup.algos.pytorch.td3.td3 import TD3Learner as TorchTD3
from tests.helpers import parity
from tests.helpers.parity import assert_close, moved_targets, rel_err

OBS_DIM, ACT_DIM, HIDDEN = 5, 2, (32, 32)
ACT_LIMIT = np.array([1.0, 2.0], np.float32)  # per-dimension limits
SPACES = dict(obs_space=gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,)),
              act_space=gym.spaces.Box(-ACT_LIMIT, ACT_LIMIT))
LEARNER_KW = dict(**SPACES, hidden_sizes=HIDDEN, activation="relu", gamma=0.9, polyak=0.8,
                  pi_lr=1e-2, q_lr=1e-2, act_noise=0.1, seed=0, dtype="float64")


def start_params(seed=0):
    """Canonical initial weights with targets moved away from the online nets, so that using
    the wrong nets, or the polyak average written backwards, shows."""
    return moved_targets(init_deterministic_actor_critic(OBS_DIM, ACT_DIM, HIDDEN, seed, ("q",)),
                         seed)


def make_batches(n, batch=64, seed=0):
    return parity.make_batches(n, OBS_DIM, ACT_LIMIT, batch, seed)


def reference(params, batch, gamma):
    """DDPG's target and losses in NumPy, straight from the definitions."""
    def pi(net, obs):
        return ACT_LIMIT * np.tanh(MLP(params, net, "relu")(obs))

    def q(net, obs, act):
        return MLP(params, net, "relu")(np.concatenate([obs, act], -1))[..., 0]

    targ = batch["rew"] + gamma * (1 - batch["done"]) * q(
        "q_targ", batch["obs2"], pi("pi_targ", batch["obs2"]))
    loss_q = np.mean((q("q", batch["obs"], batch["act"]) - targ) ** 2)
    loss_pi = -np.mean(q("q", batch["obs"], pi("pi", batch["obs"])))
    return dict(Targ=targ, LossQ=loss_q, LossPi=loss_pi)


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
    assert sorted(a) == sorted(b) == sorted(
        f"{net}/{i}/{leaf}" for net in ("pi", "q", "pi_targ", "q_targ") for i in range(3)
        for leaf in "wb")
    assert a["q/0/w"].shape == (OBS_DIM + ACT_DIM, 32) and a["pi/2/w"].shape == (32, ACT_DIM)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    np.testing.assert_array_equal(a["q_targ/1/w"], a["q/1/w"])
    obs = np.random.default_rng(0).standard_normal(OBS_DIM)
    np.testing.assert_allclose(pt.act(obs), jx.act(obs), rtol=1e-5, atol=1e-6)


def test_hyperparameters_have_no_defaults():
    """Their defaults live once, in the algorithm's spec."""
    for Learner in (TorchLearner, JaxLearner):
        with pytest.raises(TypeError, match="gamma"):
            Learner(**SPACES, polyak=0.9, pi_lr=1e-3, q_lr=1e-3, act_noise=0.1)


def test_targets_losses_and_gradients_match(x64):
    params = start_params()
    pt, jx = learners(params)
    batch = {k: v[0] for k, v in make_batches(1).items()}
    a, b = pt.diagnose(batch), jx.diagnose(batch)
    assert sorted(a) == sorted(b)
    assert {"Targ", "LossQ", "LossPi", "grad/q/0/w", "grad/q/2/b", "grad/pi/1/w"} <= set(a)
    for k in a:
        assert_close(a[k], b[k], k)
    ref = reference(params, batch, LEARNER_KW["gamma"])
    for k in ref:
        assert_close(b[k], ref[k], f"{k} against the NumPy reference")
    assert np.abs(a["grad/pi/0/w"]).max() > 0 and np.abs(a["grad/q/0/w"]).max() > 0


def test_one_full_update_matches_and_moves_targets_the_right_way(x64):
    params = start_params()
    pt, jx = learners(params)
    batches = make_batches(1)
    info_pt, info_jx = pt.update(batches), jx.update(batches)
    assert sorted(info_pt) == sorted(info_jx) == ["LossPi", "LossQ", "QVals"]
    for k in info_pt:
        assert_close(info_pt[k], info_jx[k], k)
    batch = {k: v[0] for k, v in batches.items()}
    assert_close(info_jx["LossQ"][0], reference(params, batch, LEARNER_KW["gamma"])["LossQ"],
                 "LossQ against the NumPy reference")
    after_pt, after_jx = pt.get_params(), jx.get_params()
    for k in params:
        assert_close(after_pt[k], after_jx[k], k)
    # Every update: a Q step, a policy step, then targ <- polyak*targ + (1-polyak)*online.
    polyak = LEARNER_KW["polyak"]
    for k in params:
        if "_targ/" in k:
            online = after_jx[k.replace("_targ/", "/")]
            assert_close(after_jx[k], polyak * params[k] + (1 - polyak) * online, k)
    assert rel_err(after_jx["pi/0/w"], params["pi/0/w"]) > 1e-4  # the policy did move
    assert rel_err(after_jx["q/0/w"], params["q/0/w"]) > 1e-4  # and so did the critic


def test_block_of_updates_matches(x64):
    """Five updates, each with its policy step and its polyak step."""
    params = start_params()
    pt, jx = learners(params)
    batches = make_batches(5)
    info_pt, info_jx = pt.update(batches), jx.update(batches)
    assert info_pt["LossQ"].shape == info_jx["LossQ"].shape == (5,)
    assert info_pt["LossPi"].shape == info_jx["LossPi"].shape == (5,)
    assert info_pt["QVals"].shape == info_jx["QVals"].shape == (5, 64)
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
    batches = make_batches(k)
    info = fused.update(batches)
    update_one = jax.jit(single.update_one)
    state, loss_q, loss_pi = single.state, [], []
    for j in range(k):
        # DDPG is TD3's update with one critic and no target noise (eps None)
        state, (lq, _, lp) = update_one(state, j, {n: v[j] for n, v in batches.items()}, None)
        loss_q.append(lq)
        loss_pi.append(lp)
    single.state = state
    assert_close(info["LossQ"], np.array(loss_q), "LossQ")
    assert_close(info["LossPi"], np.array(loss_pi), "LossPi")
    a, b = fused.get_params(), single.get_params()
    for name in a:
        assert_close(a[name], b[name], name)


def test_pytorch_policy_step_leaves_q_alone():
    """The critic is really frozen during the policy step: no gradient reaches it."""
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


# ---------------------------------------------------------------------------------------------
# set_params is strict in every off-policy learner
# ---------------------------------------------------------------------------------------------
OFF_POLICY = [("ddpg", "pytorch", TorchLearner), ("ddpg", "jax", JaxLearner),
              ("td3", "pytorch", TorchTD3), ("td3", "jax", JaxTD3)]


def off_policy_learner(Learner):
    kw = dict(LEARNER_KW, dtype="float32")
    if Learner in (TorchTD3, JaxTD3):
        kw.update(target_noise=0.2, noise_clip=0.5, policy_delay=2)
    return Learner(**kw, device="cpu") if Learner in (TorchLearner, TorchTD3) else Learner(**kw)


@pytest.mark.parametrize("algo,backend,Learner", OFF_POLICY,
                         ids=[f"{a}-{b}" for a, b, _ in OFF_POLICY])
def test_set_params_rejects_wrong_names_and_shapes(algo, backend, Learner):
    learner = off_policy_learner(Learner)
    params = learner.get_params()
    obs = np.ones(OBS_DIM, np.float32)
    before = learner.act(obs)

    wrong = dict(params, **{"pi/0/w": np.zeros((OBS_DIM + 1, 32), np.float32)})
    with pytest.raises(ValueError, match=r"pi/0/w.*\(6, 32\).*\(5, 32\)"):
        learner.set_params(wrong)
    unknown = dict(params, **{"pi/7/w": np.zeros((32, 32), np.float32)})
    with pytest.raises(KeyError, match="pi/7/w"):
        learner.set_params(unknown)
    critic_targ = next(k for k in params if k.startswith("q") and "_targ/" in k)
    missing = {k: v for k, v in params.items() if k != critic_targ}
    with pytest.raises(KeyError, match=critic_targ):
        learner.set_params(missing)

    # Nothing was loaded: the learner still acts, and as before.
    np.testing.assert_array_equal(learner.act(obs), before)
    for k, v in learner.get_params().items():
        np.testing.assert_array_equal(v, params[k], err_msg=k)


@pytest.mark.parametrize("algo,backend,Learner", OFF_POLICY,
                         ids=[f"{a}-{b}" for a, b, _ in OFF_POLICY])
def test_state_dict_is_a_snapshot(algo, backend, Learner):
    """Back to a ``state_dict``, the learner repeats exactly what it did after it was taken
    (parameters, optimizer moments and random streams all restored; the PyTorch optimizer
    moments were once views that the next step overwrote)."""
    learner = off_policy_learner(Learner)
    batches = {k: v.astype(np.float32) for k, v in make_batches(3, batch=8).items()}
    learner.update(batches)
    state, obs = learner.state_dict(), np.ones(OBS_DIM, np.float32)
    first = learner.update(batches), learner.act(obs, deterministic=False)
    learner.load_state_dict(state)
    again = learner.update(batches), learner.act(obs, deterministic=False)
    for k in first[0]:
        np.testing.assert_array_equal(again[0][k], first[0][k], err_msg=k)
    np.testing.assert_array_equal(again[1], first[1])

"""SAC: the PyTorch and JAX learners compute the same thing.

From the same canonical weights, minibatches and reparameterisation draws, both backends give
the same Q targets, log-probabilities, losses, gradients, and parameters (online, targets and
the learned temperature) after full updates, with a fixed and with a learned alpha; the JAX
fused block (one lax.scan) equals the same updates run one by one; the NumPy actor that both
use to act equals the frameworks' forward passes.

Comparisons run in float64 (torch.float64; JAX inside ``jax.enable_x64``), as in
test_td3_parity.py: in float32 Adam amplifies last-bit differences of tiny gradients.
"""
import jax
import numpy as np
import pytest
import torch

import gymnasium as gym

from spinup.algos.common.nets import init_squashed_gaussian_actor_critic
from spinup.algos.jax.sac.sac import SACLearner as JaxLearner
from spinup.algos.pytorch.sac.sac import SACLearner as TorchLearner
from tests.helpers import parity
from tests.helpers.parity import assert_close, moved_targets, rel_err

OBS_DIM, ACT_DIM, HIDDEN = 5, 2, (32, 32)
MEAN, LOG_STD = len(HIDDEN), len(HIDDEN) + 1  # the actor's heads: 'pi/2', 'pi/3'
ACT_LIMIT = np.array([1.0, 2.0], np.float32)  # per-dimension limits
LEARNER_KW = dict(obs_space=gym.spaces.Box(-np.inf, np.inf, (OBS_DIM,)),
                  act_space=gym.spaces.Box(-ACT_LIMIT, ACT_LIMIT),
                  hidden_sizes=HIDDEN, activation="relu", gamma=0.9, polyak=0.8, lr=1e-2,
                  seed=0, dtype="float64")
ALPHAS = [0.2, "auto"]
LOG_ALPHA = 0.3  # the learned temperature's starting point in these tests (not 0: alpha != 1)


def start_params(alpha, seed=0):
    """Canonical initial weights with targets moved away from the online nets (so that the
    direction of the polyak average shows) and, for a learned alpha, log_alpha = LOG_ALPHA."""
    params = moved_targets(init_squashed_gaussian_actor_critic(OBS_DIM, ACT_DIM, HIDDEN, seed),
                           seed)
    if alpha == "auto":
        params["alpha/log_alpha"] = np.array(LOG_ALPHA)
    return params


def make_batches(n, batch=64, seed=0):
    return parity.make_batches(n, OBS_DIM, ACT_LIMIT, batch, seed)


def make_noise(n, batch=64, seed=1):
    rng = np.random.default_rng(seed)
    return dict(eps_targ=rng.standard_normal((n, batch, ACT_DIM)),
                eps_pi=rng.standard_normal((n, batch, ACT_DIM)))


def first(tree):
    """Update 0 of a block: one minibatch, one noise draw."""
    return {k: v[0] for k, v in tree.items()}


@pytest.fixture
def x64():
    with jax.enable_x64(True):
        yield


def learners(params, alpha, **kw):
    kw = {**LEARNER_KW, "alpha": alpha, **kw}
    pt, jx = TorchLearner(**kw, device="cpu"), JaxLearner(**kw)
    pt.set_params(params)
    jx.set_params(params)
    return pt, jx


def torch_actor(pt, obs, eps=None):
    """PyTorch's forward pass of the actor: (a, logp) as NumPy."""
    with torch.no_grad():
        a, logp = pt.ac.pi(pt._tensor(obs), None if eps is None else pt._tensor(eps))
    return a.numpy(), None if logp is None else logp.numpy()


def jax_actor(jx, obs, eps=None):
    """JAX's forward pass of the actor: (a, logp) as NumPy."""
    a, logp = jx.ac.pi(jx.state.ac["pi"], obs, eps)
    return np.asarray(a), None if logp is None else np.asarray(logp)


def numpy_logp(params, obs, eps):
    """SAC's log-prob of the squashed sample, written out in NumPy (log-std clamped)."""
    x = obs
    for i in range(MEAN):
        x = np.maximum(x @ params[f"pi/{i}/w"] + params[f"pi/{i}/b"], 0)
    mu = x @ params[f"pi/{MEAN}/w"] + params[f"pi/{MEAN}/b"]
    log_std = np.clip(x @ params[f"pi/{LOG_STD}/w"] + params[f"pi/{LOG_STD}/b"], -20, 2)
    u = mu + np.exp(log_std) * eps
    logp = (-0.5 * eps ** 2 - log_std - 0.5 * np.log(2 * np.pi)).sum(-1)
    # log(1 - tanh(u)^2) = -2 log cosh(u), written with |u| so that it holds for large |u|.
    log_cosh = np.abs(u) + np.log1p(np.exp(-2 * np.abs(u))) - np.log(2)
    return logp + (2 * log_cosh).sum(-1)


# --- Construction -----------------------------------------------------------------------------

@pytest.mark.parametrize("alpha", ALPHAS)
def test_same_initial_networks_and_actions_for_the_same_seed(alpha):
    kw = {**LEARNER_KW, "alpha": alpha, "dtype": "float32"}
    pt, jx = TorchLearner(**kw, device="cpu"), JaxLearner(**kw)
    a, b = pt.get_params(), jx.get_params()
    assert sorted(a) == sorted(b)
    assert {f"pi/{MEAN}/w", f"pi/{LOG_STD}/b", "q1/2/b", "q2/1/w", "q1_targ/0/b",
            "q2_targ/2/w"} <= set(a)
    assert not any(k.startswith("pi_targ/") for k in a)  # SAC has no actor target
    assert ("alpha/log_alpha" in a) == (alpha == "auto")
    assert a["pi/1/w"].shape == (32, 32) and a[f"pi/{MEAN}/w"].shape == (32, ACT_DIM)
    assert a[f"pi/{LOG_STD}/w"].shape == (32, ACT_DIM)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    np.testing.assert_array_equal(a["q1_targ/1/w"], a["q1/1/w"])
    if alpha == "auto":
        assert a["alpha/log_alpha"] == 0.0  # alpha = 1 at the start
    obs = np.random.default_rng(0).standard_normal((3, OBS_DIM))
    np.testing.assert_allclose(pt.act(obs), jx.act(obs), rtol=1e-5, atol=1e-6)
    # Exploration draws from the same NumPy stream in both backends: the same samples.
    sample_pt, sample_jx = pt.act(obs, deterministic=False), jx.act(obs, deterministic=False)
    np.testing.assert_allclose(sample_pt, sample_jx, rtol=1e-5, atol=1e-6)
    assert rel_err(sample_pt, pt.act(obs)) > 1e-2  # and they are samples, not the mean


# --- One minibatch: targets, logp, losses, gradients ------------------------------------------

@pytest.mark.parametrize("alpha", ALPHAS)
def test_targets_logp_losses_and_gradients_match(x64, alpha):
    pt, jx = learners(start_params(alpha), alpha)
    batch, noise = first(make_batches(1)), first(make_noise(1))
    a, b = pt.diagnose(batch, noise), jx.diagnose(batch, noise)
    assert sorted(a) == sorted(b)
    want = {"Targ", "LossQ", "LossPi", "LogPi", "grad/q1/0/w", "grad/q2/2/b", "grad/pi/1/w",
            f"grad/pi/{MEAN}/w", f"grad/pi/{LOG_STD}/b"}
    if alpha == "auto":
        want |= {"LossAlpha", "grad/alpha/log_alpha"}
    assert want <= set(a)
    for k in a:
        assert_close(a[k], b[k], k)
    # Each draw is used where it belongs: eps_targ moves the target, eps_pi the policy's logp.
    moved = jx.diagnose(batch, dict(eps_targ=noise["eps_targ"] + 1.0, eps_pi=noise["eps_pi"]))
    assert rel_err(moved["Targ"], b["Targ"]) > 1e-3
    np.testing.assert_array_equal(moved["LogPi"], b["LogPi"])
    moved = pt.diagnose(batch, dict(eps_targ=noise["eps_targ"], eps_pi=noise["eps_pi"] + 1.0))
    assert rel_err(moved["LogPi"], a["LogPi"]) > 1e-3
    np.testing.assert_array_equal(moved["Targ"], a["Targ"])


def test_logp_is_the_squashed_gaussian_density(x64):
    """LogPi equals the density of the squashed Gaussian written out in NumPy (the tanh
    correction as -2 log cosh(u), not SAC's softplus form)."""
    params = start_params(0.2)
    pt, jx = learners(params, 0.2)
    batch, noise = first(make_batches(1)), first(make_noise(1))
    want = numpy_logp(params, batch["obs"], noise["eps_pi"])
    assert_close(pt.diagnose(batch, noise)["LogPi"], want, "LogPi (pytorch)")
    assert_close(jx.diagnose(batch, noise)["LogPi"], want, "LogPi (jax)")


def test_log_std_is_clamped(x64):
    """With the log-std head's biases far outside [-20, 2], both backends clamp: the same
    logp as the clamped formula, no gradient through the clamped head, and the NumPy actor
    samples with the clamped std."""
    params = start_params("auto")
    params[f"pi/{LOG_STD}/b"] = np.array([6.0, -30.0])  # above 2 and below -20 for every obs
    pt, jx = learners(params, "auto")
    batch, noise = first(make_batches(1)), first(make_noise(1))
    a, b = pt.diagnose(batch, noise), jx.diagnose(batch, noise)
    for k in a:
        assert_close(a[k], b[k], k)
    assert_close(b["LogPi"], numpy_logp(params, batch["obs"], noise["eps_pi"]), "LogPi")
    for grads in (a, b):
        assert np.all(grads[f"grad/pi/{LOG_STD}/b"] == 0)
        assert np.all(grads[f"grad/pi/{LOG_STD}/w"] == 0)
        assert np.any(grads[f"grad/pi/{MEAN}/b"] != 0)
    obs, eps = batch["obs"][:8], noise["eps_pi"][:8]
    sample = jx.numpy_actor()(obs, eps)
    np.testing.assert_allclose(sample, jax_actor(jx, obs, eps)[0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(sample, torch_actor(pt, obs, eps)[0], rtol=1e-12, atol=1e-12)
    # Dimension 0 samples with std e^2 (not e^6), dimension 1 is the mean (std e^-20).
    mean = jx.act(obs)
    assert np.max(np.abs(sample[:, 1] - mean[:, 1])) < 1e-6
    u0 = np.arctanh(sample[:, 0] / ACT_LIMIT[0]) - np.arctanh(mean[:, 0] / ACT_LIMIT[0])
    np.testing.assert_allclose(u0 / eps[:, 0], np.exp(2.0) * np.ones(8), rtol=1e-3)


# --- Full updates -----------------------------------------------------------------------------

@pytest.mark.parametrize("alpha", ALPHAS)
def test_one_full_update_matches_and_moves_targets_the_right_way(x64, alpha):
    params = start_params(alpha)
    pt, jx = learners(params, alpha)
    batches, noise = make_batches(1), make_noise(1)
    grads = jx.diagnose(first(batches), first(noise))
    info_pt, info_jx = pt.update(batches, noise), jx.update(batches, noise)
    keys = {"LossQ", "LossPi", "Q1Vals", "Q2Vals", "LogPi", "Alpha"}
    keys |= {"LossAlpha"} if alpha == "auto" else set()
    assert set(info_pt) == set(info_jx) == keys
    for k in keys:
        assert_close(info_pt[k], info_jx[k], k)
    assert_close(info_jx["LossQ"][0], grads["LossQ"], "LossQ = diagnose's")
    assert_close(info_jx["Alpha"], [np.exp(LOG_ALPHA) if alpha == "auto" else alpha], "Alpha")
    after_pt, after_jx = pt.get_params(), jx.get_params()
    for k in params:
        assert_close(after_pt[k], after_jx[k], k)
    # targ <- polyak*targ + (1-polyak)*online, with the online nets after this update's Q step.
    polyak = LEARNER_KW["polyak"]
    for k in params:
        if "_targ/" in k:
            online = after_jx[k.replace("_targ/", "/")]
            assert_close(after_jx[k], polyak * params[k] + (1 - polyak) * online, k)
    assert rel_err(after_jx["pi/0/w"], params["pi/0/w"]) > 1e-4  # the policy did move
    if alpha == "auto":
        # Adam's first step moves by lr against the sign of the gradient.
        step = -LEARNER_KW["lr"] * np.sign(grads["grad/alpha/log_alpha"])
        assert_close(after_jx["alpha/log_alpha"], LOG_ALPHA + step, "alpha/log_alpha")


@pytest.mark.parametrize("alpha", ALPHAS)
def test_block_of_updates_matches(x64, alpha):
    params = start_params(alpha)
    pt, jx = learners(params, alpha)
    batches, noise = make_batches(5), make_noise(5)
    info_pt, info_jx = pt.update(batches, noise), jx.update(batches, noise)
    for k in ("LossQ", "LossPi", "Alpha"):
        assert info_pt[k].shape == info_jx[k].shape == (5,)
    for k in ("Q1Vals", "Q2Vals", "LogPi"):
        assert info_pt[k].shape == info_jx[k].shape == (5, 64)
    for k in info_pt:
        assert_close(info_pt[k], info_jx[k], k)
    if alpha == "auto":
        assert info_jx["LossAlpha"].shape == (5,)
        assert len(np.unique(info_jx["Alpha"])) == 5  # the temperature is learned
    after_pt, after_jx = pt.get_params(), jx.get_params()
    assert sorted(after_pt) == sorted(params)
    for k in params:
        assert_close(after_pt[k], after_jx[k], k)
        assert rel_err(after_jx[k], params[k]) > 1e-6, f"{k} did not move"


@pytest.mark.parametrize("alpha", ALPHAS)
def test_jax_fused_block_equals_single_updates(x64, alpha):
    params = start_params(alpha)
    _, fused = learners(params, alpha)
    _, single = learners(params, alpha)
    k = 4
    batches, noise = make_batches(k), make_noise(k)
    info = fused.update(batches, noise)
    update_one = jax.jit(single.update_one)
    state, loss_q, logp = single.state, [], []
    for j in range(k):
        state, step = update_one(state, {n: v[j] for n, v in batches.items()},
                                 {n: v[j] for n, v in noise.items()})
        loss_q.append(step["LossQ"])
        logp.append(step["LogPi"])
    single.state = state
    assert_close(info["LossQ"], np.array(loss_q), "LossQ")
    assert_close(info["LogPi"], np.array(logp), "LogPi")
    a, b = fused.get_params(), single.get_params()
    for name in a:
        assert_close(a[name], b[name], name)


def test_pytorch_policy_step_leaves_q_alone():
    """The Q networks are frozen during the policy step: no gradient reaches them, and they
    are unfrozen again for the next Q step."""
    pt = TorchLearner(**{**LEARNER_KW, "alpha": 0.2, "dtype": "float32"}, device="cpu")
    batch = {k: torch.as_tensor(v[0], dtype=torch.float32) for k, v in make_batches(1).items()}
    eps = torch.as_tensor(make_noise(1)["eps_pi"][0], dtype=torch.float32)
    q_before = {k: v for k, v in pt.get_params().items() if k.startswith("q")}
    for p in pt.q_params:
        p.grad = None
    pt.update_pi(batch, eps, pt.current_alpha())
    assert all(p.grad is None for p in pt.q_params)
    assert all(p.requires_grad for p in pt.q_params)
    after = pt.get_params()
    for k, v in q_before.items():
        np.testing.assert_array_equal(after[k], v, err_msg=k)


# --- Acting -----------------------------------------------------------------------------------

def test_numpy_actor_equals_the_framework_forward(x64):
    """The mean action and the sampled action of the NumPy actor (what ``act`` runs) equal
    each backend's forward pass, for one observation and for a batch."""
    pt, jx = learners(start_params(0.2), 0.2)
    rng = np.random.default_rng(3)
    for shape in ((OBS_DIM,), (7, OBS_DIM)):
        obs = rng.standard_normal(shape)
        eps = rng.standard_normal(shape[:-1] + (ACT_DIM,))
        for learner, forward in ((pt, torch_actor), (jx, jax_actor)):
            actor = learner.numpy_actor()
            np.testing.assert_allclose(actor(obs), forward(learner, obs)[0], rtol=1e-12,
                                       atol=1e-12)
            np.testing.assert_allclose(actor(obs, eps), forward(learner, obs, eps)[0],
                                       rtol=1e-12, atol=1e-12)
            np.testing.assert_array_equal(learner.act(obs), actor(obs))
            assert rel_err(actor(obs, eps), actor(obs)) > 1e-3
            a = learner.act(obs, deterministic=False)
            assert a.shape == shape[:-1] + (ACT_DIM,) and np.all(np.abs(a) <= ACT_LIMIT)


# --- Noise, parameters, checkpoints -----------------------------------------------------------

@pytest.mark.parametrize("backend", ["pytorch", "jax"])
def test_update_noise_is_standard_normal_and_fresh(backend):
    kw = {**LEARNER_KW, "alpha": 0.2, "dtype": "float32"}
    if backend == "pytorch":
        learner = TorchLearner(**kw, device="cpu")
        blocks = [learner.draw_noise(50, 100) for _ in range(2)]
    else:
        learner = JaxLearner(**kw)
        key0, noise0 = learner.draw_noise(learner.state.key, 50, 100)
        _, noise1 = learner.draw_noise(key0, 50, 100)
        _, again = learner.draw_noise(learner.state.key, 50, 100)  # pure: same key, same draws
        np.testing.assert_array_equal(again["eps_pi"], noise0["eps_pi"])
        blocks = [noise0, noise1]
    blocks = [{k: np.asarray(v) for k, v in b.items()} for b in blocks]
    assert set(blocks[0]) == {"eps_targ", "eps_pi"}
    assert blocks[0]["eps_pi"].shape == (50, 100, ACT_DIM)
    x = np.concatenate([v.ravel() for b in blocks for v in b.values()])
    assert abs(x.mean()) < 0.05 and abs(x.std() - 1) < 0.05
    assert not np.allclose(blocks[0]["eps_targ"], blocks[0]["eps_pi"])
    assert not np.allclose(blocks[0]["eps_pi"][0], blocks[0]["eps_pi"][1])
    assert not np.allclose(blocks[0]["eps_pi"], blocks[1]["eps_pi"])


@pytest.mark.parametrize("backend", ["pytorch", "jax"])
def test_set_params_is_strict(backend):
    kw = {**LEARNER_KW, "alpha": "auto", "dtype": "float32"}
    learner = TorchLearner(**kw, device="cpu") if backend == "pytorch" else JaxLearner(**kw)
    params = learner.get_params()
    with pytest.raises(KeyError, match="pi_targ/0/w"):
        learner.set_params({**params, "pi_targ/0/w": params["pi/0/w"]})
    with pytest.raises(KeyError, match="alpha/log_alpha"):
        learner.set_params({k: v for k, v in params.items() if k != "alpha/log_alpha"})
    with pytest.raises(ValueError, match=r"pi/3/w.*\(32, 3\).*\(32, 2\)"):
        learner.set_params({**params, "pi/3/w": np.zeros((32, 3), np.float32)})
    for k, v in learner.get_params().items():  # nothing was loaded by the failed calls
        np.testing.assert_array_equal(v, params[k], err_msg=k)


@pytest.mark.parametrize("backend", ["pytorch", "jax"])
def test_checkpoint_continues_exactly(backend, tmp_path):
    """A learner restored from state_dict (or save/load for the networks) continues as the
    original: same updates with freshly drawn noise, same exploration samples."""
    kw = {**LEARNER_KW, "alpha": "auto", "dtype": "float32"}

    def make():
        return TorchLearner(**kw, device="cpu") if backend == "pytorch" else JaxLearner(**kw)

    a = make()
    a.update(make_batches(3, seed=4))  # blocks of one shape: JAX compiles the block once
    a.act(np.zeros(OBS_DIM), deterministic=False)
    b = make()
    b.load_state_dict(a.state_dict())
    c = make().load(a.save(str(tmp_path)) and str(tmp_path))
    at_save = a.get_params()
    batches, obs = make_batches(3, seed=5), np.ones((4, OBS_DIM))
    info_a, info_b = a.update(batches), b.update(batches)
    for k in info_a:
        np.testing.assert_array_equal(info_a[k], info_b[k], err_msg=k)
    np.testing.assert_array_equal(a.act(obs, deterministic=False),
                                  b.act(obs, deterministic=False))
    for k, v in at_save.items():  # the saved model is the weights (targets, alpha too); the
        np.testing.assert_array_equal(c.get_params()[k], v, err_msg=k)  # rest: checkpoints
    pa, pb = a.get_params(), b.get_params()
    for k in pa:
        np.testing.assert_array_equal(pa[k], pb[k], err_msg=k)
    assert pa["alpha/log_alpha"] != 0.0

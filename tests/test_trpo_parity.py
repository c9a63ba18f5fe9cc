"""PyTorch and JAX TRPO compute the same thing: from the same parameters and the same batch
they give the same log-probs, entropy, losses and gradients, the same Fisher-vector products
(H + damping I) v, the same conjugate-gradient solution, full step, accepted line-search try,
KL and losses, and after one full update the same parameters. The cases: a step accepted at
the first try, one accepted after backtracking, a line search that accepts nothing (the
policy stays), and NPG (the full step, no search).

Besides agreeing with each other, the pieces are checked against what they are meant to be:
the Fisher-vector product against finite differences of the KL's gradient, CG's solution
against the system it solves, the full step against the KL radius, the new policy against
``old - coeff**j * full_step``.

Both run in float64 (JAX inside a scoped ``jax.enable_x64``), as tests/test_ppo_parity.py.
"""
import jax
import numpy as np
import pytest
import torch

from spinup.algos.common.trpo import TRPO_UPDATE_KEYS
from spinup.algos.jax.trpo.trpo import TRPOLearner as JaxLearner
from spinup.algos.pytorch.trpo.trpo import TRPOLearner as TorchLearner, mean_kl
from tests.test_ppo_parity import SPACES, make_batch, make_params, rel_err

RTOL = 1e-6
N = 256
KW = dict(hidden_sizes=(16, 8), activation="tanh", delta=0.01, vf_lr=1e-2, train_v_iters=10,
          damping_coeff=0.1, cg_iters=10, backtrack_iters=10, backtrack_coeff=0.8,
          variant="trpo", dtype="float64")
# Update cases: the full step accepted (BacktrackIters 0); KL radii far beyond the quadratic
# model's reach, where the loss rises along the full step and the search backtracks
# (measured: box 2 tries, discrete 4); the same with only that many tries, so that none is
# accepted and the policy stays; NPG.
BACKTRACKS = dict(box=dict(delta=5.0, backtrack_coeff=0.95),
                  discrete=dict(delta=40.0, backtrack_coeff=0.9))
TRIES = dict(box=2, discrete=4)
CASES = ("first", "backtracks", "fails", "npg")


def case_kw(kind, case):
    return dict(first={}, npg=dict(variant="npg"), backtracks=BACKTRACKS[kind],
                fails=dict(BACKTRACKS[kind], backtrack_iters=TRIES[kind]))[case]


def close(a, b):
    """Equal to RTOL relative to the larger of |b| and 1 (losses near 0 have no scale)."""
    return abs(a - b) <= RTOL * max(abs(b), 1.0)


@pytest.fixture(params=["box", "discrete"])
def kind(request):
    return request.param


def setup(kind, **kw):
    """Both learners from the same canonical parameters, and a batch whose ``logp`` is the
    policy's own (as the loop's: the data comes from the policy being updated)."""
    obs_space, act_space = SPACES[kind]
    rng = np.random.default_rng(0)
    params = make_params(act_space, obs_space.shape[0], rng)
    batch = make_batch(obs_space, act_space, rng)
    kw = {**KW, **kw}
    t = TorchLearner(obs_space, act_space, device="cpu", **kw)
    j = JaxLearner(obs_space, act_space, **kw)
    t.set_params(params)
    j.set_params(params)
    logp = t.losses_and_grads({**batch, "logp": np.zeros(N)})[0]["logp"]
    return t, j, params, {**batch, "logp": logp}


def kl_gradient(learner, old, batch):
    """The gradient (canonical names) of the mean KL from ``old``'s policy to
    ``learner``'s, at ``learner``'s parameters (PyTorch learners)."""
    data = learner._tensors(batch)
    with torch.no_grad():
        old_pi = old.ac.pi.distribution(data["obs"])
    kl = mean_kl(learner.ac, old_pi, data["obs"])
    return learner._canonical_pi(learner._flat(torch.autograd.grad(kl, learner.pi_params)))


def pi_vector(params, rng):
    return {k: rng.normal(size=v.shape) for k, v in params.items() if k.startswith("pi/")}


def flat(d):
    return np.concatenate([np.ravel(d[k]) for k in sorted(d)])


def dot(a, b):
    return sum(float(np.sum(a[k] * b[k])) for k in a)


def test_same_initial_networks_for_the_same_seed(kind):
    obs_space, act_space = SPACES[kind]
    with jax.enable_x64(True):
        t = TorchLearner(obs_space, act_space, device="cpu", **{**KW, "dtype": "float32"})
        j = JaxLearner(obs_space, act_space, **{**KW, "dtype": "float32"})
        pt, pj = t.get_params(), j.get_params()
    assert set(pt) == set(pj)
    for k in pt:
        np.testing.assert_array_equal(pt[k], pj[k], err_msg=k)


def test_losses_and_gradients_match(kind):
    with jax.enable_x64(True):
        t, j, params, batch = setup(kind)
        (lt, gt), (lj, gj) = t.losses_and_grads(batch), j.losses_and_grads(batch)
    for key in ("logp", "Entropy", "LossV"):
        assert rel_err(lj[key], lt[key]) <= RTOL, key
    # At the data's policy the ratio is 1: the surrogate is -mean(adv), 0 for normalised adv.
    for loss in (lt["LossPi"], lj["LossPi"]):
        assert abs(loss + batch["adv"].mean()) < 1e-12
    assert set(gt) == set(gj) == set(params)
    for key in gt:
        assert np.linalg.norm(gt[key]) > 0, key
        assert rel_err(gj[key], gt[key]) <= RTOL, key


def test_fisher_vector_products_match_and_are_the_kl_hessian(kind):
    rng = np.random.default_rng(1)
    with jax.enable_x64(True):
        t, j, params, batch = setup(kind)
        u, v = pi_vector(params, rng), pi_vector(params, rng)
        ht, hj = t.fisher_product(batch, v), j.fisher_product(batch, v)
        hu = t.fisher_product(batch, u)
        # Finite differences of the KL's gradient, from the PyTorch learner's KL at shifted
        # parameters (H v = d/de grad KL(old || theta + e v) at e = 0)
        eps = 1e-5
        fd = {}
        for sign in (1, -1):
            shifted = {k: p + sign * eps * v[k] if k in v else p for k, p in params.items()}
            t2 = TorchLearner(*SPACES[kind], device="cpu", **KW)
            t2.set_params(shifted)
            fd[sign] = kl_gradient(t2, t, batch)
    assert set(ht) == set(hj) == set(v)
    for key in ht:
        assert rel_err(hj[key], ht[key]) <= RTOL, key
    damping = KW["damping_coeff"]
    for key in ht:
        expected = (fd[1][key] - fd[-1][key]) / (2 * eps) + damping * v[key]
        assert rel_err(ht[key], expected) <= 1e-5, key
    assert abs(dot(u, ht) - dot(v, hu)) <= 1e-10 * abs(dot(u, ht))  # symmetric
    assert dot(v, ht) > damping * dot(v, v)  # positive definite beyond the damping


def test_conjugate_gradient_solves_the_damped_system(kind):
    """With enough iterations CG's x solves (H + damping I) x = g (g the loss's gradient);
    with the default 10 it is the same x in both backends, and the full step sits on the KL
    radius of the quadratic model: 0.5 s.(H + damping I)s = delta."""
    with jax.enable_x64(True):
        t, j, params, batch = setup(kind, cg_iters=300)
        d = t.step_details(batch)
        hx = t.fisher_product(batch, d["x"])
        t, j, params, batch = setup(kind)
        dt, dj = t.step_details(batch), j.step_details(batch)
        hs = t.fisher_product(batch, dt["full_step"])
    # (SpinningUp's EPS in CG's denominators stops it short of machine precision: ~1e-5.)
    assert rel_err(flat(hx), flat(d["g"])) <= 1e-4
    for key in ("g", "x", "full_step"):
        for name in dt[key]:
            assert rel_err(dj[key][name], dt[key][name]) <= RTOL, (key, name)
    assert abs(0.5 * dot(dt["full_step"], hs) - KW["delta"]) <= 1e-8


@pytest.mark.parametrize("case", CASES)
def test_one_full_update_matches(kind, case):
    kw = {**KW, **case_kw(kind, case)}
    with jax.enable_x64(True):
        t, j, params, batch = setup(kind, **case_kw(kind, case))
        details = t.step_details(batch)
        st, sj = t.update(batch), j.update(batch)
        pt, pj = t.get_params(), j.get_params()
    keys = list(TRPO_UPDATE_KEYS[:-1] if case == "npg" else TRPO_UPDATE_KEYS)
    assert list(st) == list(sj) == keys
    assert all(type(v) is float for v in [*st.values(), *sj.values()])
    for key in keys:
        assert close(sj[key], st[key]), key
    tries = 0 if case == "npg" else st["BacktrackIters"]
    assert case == "npg" or sj["BacktrackIters"] == tries
    assert tries == dict(first=0, npg=0, backtracks=TRIES[kind],
                         fails=kw["backtrack_iters"])[case]
    if case == "fails":
        assert st["KL"] == 0.0 and st["DeltaLossPi"] == sj["DeltaLossPi"] == 0.0
    else:
        assert st["DeltaLossPi"] < 0 and 0 < st["KL"] <= kw["delta"]
    for key in pt:
        if key.startswith("pi/"):
            if case == "fails":
                expected = params[key]
            else:
                expected = params[key] - kw["backtrack_coeff"] ** tries * details["full_step"][key]
            np.testing.assert_allclose(pt[key], expected, rtol=1e-12, atol=1e-14, err_msg=key)
        else:
            assert not np.allclose(pt[key], params[key]), key  # the value phase moved it
        assert rel_err(pj[key], pt[key]) <= RTOL, key

"""Acting in NumPy (spinup.algos.common.numpy_policy): the learners act from NumPy copies of
their weights instead of a jitted JAX call or a torch module call per env step. Checked here:
the NumPy forward equals the framework's (float32 rounding), for one observation and a batch;
VPG samples exactly what the framework's own per-call sampling drew (same keys, same torch
generator draws); and the copy follows every change of the weights (a stale copy would act
with old weights without any error)."""
from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch
from gymnasium import spaces

from spinup.algos import registry
from spinup.algos.common import numpy_policy
from spinup.algos.jax import nets as jax_nets
from spinup.algos.jax.td3.td3 import TD3Learner as JaxTD3
from spinup.algos.jax.vpg.vpg import VPGLearner as JaxVPG
from spinup.algos.pytorch import nets as torch_nets

OBS = spaces.Box(-np.inf, np.inf, (17,), np.float64)  # HalfCheetah's shapes
BOX = spaces.Box(-1.0, 1.0, (6,), np.float32)
CARTPOLE_OBS, DISCRETE = spaces.Box(-np.inf, np.inf, (4,), np.float64), spaces.Discrete(2)
TOL = dict(rtol=2e-5, atol=2e-6)  # float32: the NumPy and framework sums round differently


def observations(space, n, seed=0):
    return 2 * np.random.default_rng(seed).standard_normal((n, space.shape[0]))


def learner_obs_space(discrete):
    return CARTPOLE_OBS if discrete else OBS


def td3(backend, **kw):
    kw = kw if backend == "jax" else dict(kw, device="cpu")
    return registry.make_learner(f"td3_{backend}", OBS, BOX, hidden_sizes=(32, 32), **kw)


def vpg(backend, discrete, seed=0):
    obs_space, act_space = (CARTPOLE_OBS, DISCRETE) if discrete else (OBS, BOX)
    kw = {} if backend == "jax" else dict(device="cpu")
    return registry.make_learner(f"vpg_{backend}", obs_space, act_space, hidden_sizes=(16, 8),
                                 train_v_iters=2, seed=seed, **kw)


@partial(jax.jit, static_argnums=0)
def jax_td3_forward(pi, params, obs):
    return pi(params, obs)


def framework_td3_act(learner, obs):
    """The actor's forward pass in the learner's framework."""
    obs = np.asarray(obs, np.float32)
    if isinstance(learner, JaxTD3):
        return np.asarray(jax_td3_forward(learner.ac.pi, learner.state.ac["pi"], obs))
    with torch.no_grad():
        return learner.ac.pi(torch.as_tensor(obs)).numpy()


@partial(jax.jit, static_argnums=0)
def jax_vpg_forward(ac, pi_params, v_params, obs, act):
    out = ac.pi.apply(pi_params, obs)
    logp = () if act is None else (ac.dist.log_prob(out, act),)
    return (ac.dist.mode(out), ac.v.apply(v_params, obs), *logp)


def framework_vpg(learner, obs, act=None):
    """(mode of pi, V) at ``obs`` in the learner's framework; with ``act`` also logp(act)."""
    obs = np.asarray(obs, np.float32)
    if isinstance(learner, JaxVPG):
        s = learner.state
        return tuple(np.asarray(x) for x in
                     jax_vpg_forward(learner.ac, s.pi_params, s.v_params, obs, act))
    with torch.no_grad():
        obs = torch.as_tensor(obs)
        logp = () if act is None else (learner.ac.pi(obs, torch.as_tensor(act))[1].numpy(),)
        return (learner.ac.pi.mode(obs).numpy(), learner.ac.v(obs).numpy(), *logp)


# ---------------------------------------------------------------------------------------------
# The forward pass
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", numpy_policy.ACTIVATIONS)
def test_activations_match_both_frameworks(name):
    x = np.linspace(-30, 30, 2001, dtype=np.float32)
    ours = numpy_policy.ACTIVATIONS[name](x.copy())
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, np.asarray(jax_nets.ACTIVATIONS[name](jnp.asarray(x))),
                               **TOL)
    theirs = torch_nets.ACTIVATIONS[name]()(torch.as_tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, **TOL)


@pytest.mark.parametrize("backend", ["jax", "pytorch"])
def test_td3_act_matches_the_framework_forward(backend):
    learner, obs = td3(backend), observations(OBS, 7)
    batch = learner.act(obs)
    assert batch.shape == (7, 6) and batch.dtype == np.float32
    np.testing.assert_allclose(batch, framework_td3_act(learner, obs), **TOL)
    for o, a in zip(obs, batch):
        one = learner.act(o)
        assert one.shape == (6,) and one.dtype == np.float32
        np.testing.assert_allclose(one, a, **TOL)
    noisy = learner.act(obs, deterministic=False)
    assert noisy.shape == (7, 6) and not np.allclose(noisy, batch)


@pytest.mark.parametrize("discrete", [False, True], ids=["box", "discrete"])
@pytest.mark.parametrize("backend", ["jax", "pytorch"])
def test_vpg_forward_matches_the_framework(backend, discrete):
    learner = vpg(backend, discrete)
    obs = observations(learner_obs_space(discrete), 7)
    a, v_step, logp = learner.step(obs)
    assert np.shape(a) == ((7,) if discrete else (7, 6)) and np.shape(logp) == (7,)
    mode, v, logp_framework = framework_vpg(learner, obs, a)
    np.testing.assert_allclose(learner.act(obs, deterministic=True), mode, **TOL)
    np.testing.assert_allclose(learner.value(obs), v, **TOL)
    np.testing.assert_allclose(v_step, v, **TOL)
    np.testing.assert_allclose(logp, logp_framework, **TOL)
    for o, m in zip(obs, mode):  # one observation: the shapes the single-env loop stores
        np.testing.assert_allclose(learner.act(o, deterministic=True), m, **TOL)
        a, v_one, logp = learner.step(o)
        assert np.shape(a) == (() if discrete else (6,)) and np.shape(v_one) == ()
        assert np.shape(logp) == () and np.shape(learner.value(o)) == ()
    # sample_logp (what the loop calls) is step without V: same draws from the same stream.
    one = vpg(backend, discrete)
    steps = [one.step(o) for o in obs]
    twin = vpg(backend, discrete)
    for o, (a, _, logp) in zip(obs, steps):
        a2, logp2 = twin.sample_logp(o)
        np.testing.assert_array_equal(a2, a)
        np.testing.assert_array_equal(logp2, logp)


# ---------------------------------------------------------------------------------------------
# VPG samples what the framework's per-call sampling drew
# ---------------------------------------------------------------------------------------------
CALLS = 300


def script(discrete):
    """A mix of calls as the loop and tools make them: mostly step, some value (no draws),
    act both ways, and a few batched steps (a new noise shape in the middle of a block)."""
    space = learner_obs_space(discrete)
    obs, batch = observations(space, CALLS, 1), observations(space, 3, 2)
    calls = []
    for i, o in enumerate(obs):
        kind = ("value" if i % 7 == 3 else "act" if i % 11 == 5 else "mode" if i % 13 == 6
                else "batch" if i % 97 == 50 else "step")
        calls.append((kind, batch if kind == "batch" else o))
    return calls


def through_learner(learner, calls):
    """The outputs of each call, the NumPy path."""
    out = []
    for kind, o in calls:
        if kind == "value":
            out.append((learner.value(o),))
        elif kind in ("step", "batch"):
            out.append(learner.step(o))
        else:
            out.append((learner.act(o, deterministic=kind == "mode"),))
    return out


def assert_same_draws(calls, new, old, discrete):
    """The outputs agree, the actions exactly for Discrete (value calls are skipped: they
    draw nothing, ``old`` has None there)."""
    for i, (n, o) in enumerate(zip(new, old)):
        if o is None:
            continue
        if discrete:
            np.testing.assert_array_equal(n[0], o[0], err_msg=f"call {i}")
        for x, y in zip(n, o):
            np.testing.assert_allclose(x, y, **TOL, err_msg=f"call {i} ({calls[i][0]})")


@pytest.mark.parametrize("discrete", [False, True], ids=["box", "discrete"])
def test_jax_vpg_samples_the_keys_draws(discrete):
    """The per-call path splits the key in step and in a sampling act and samples with
    DiagGaussian/Categorical.sample inside jit; value and the deterministic act leave the
    key alone (as the PyTorch learner leaves its generator: one base acts for both)."""
    learner, calls = vpg("jax", discrete, seed=3), script(discrete)
    new = through_learner(learner, calls)
    ac, s = learner.ac, learner.state
    step = jax.jit(lambda obs, key: ac.step(s.pi_params, s.v_params, obs, key))
    act = jax.jit(lambda obs, key, det: ac.act(s.pi_params, obs, key, det), static_argnums=2)
    key, old = jax.random.PRNGKey(3), []
    for kind, o in calls:
        if kind == "value":
            old.append(None)
            continue
        o = np.asarray(o, np.float32)
        if kind == "mode":
            old.append((np.asarray(act(o, key, True)),))
            continue
        key, sub = jax.random.split(key)
        out = step(o, sub) if kind in ("step", "batch") else (act(o, sub, kind == "mode"),)
        old.append(tuple(np.asarray(x) for x in out))
    assert_same_draws(calls, new, old, discrete)
    np.testing.assert_array_equal(learner.state_dict()["rng/key"], np.asarray(key))


@pytest.mark.parametrize("discrete", [False, True], ids=["box", "discrete"])
def test_torch_vpg_samples_the_generators_draws(discrete):
    """The per-call path sampled Normal/Categorical from a torch generator (in step and in
    act(deterministic=False)); value and the mode drew nothing. The learner draws the same
    numbers from its own generator, and leaves torch's global one alone."""
    learner, calls = vpg("pytorch", discrete), script(discrete)
    start, global_state = learner.gen.get_state(), torch.get_rng_state()
    new = through_learner(learner, calls)
    assert torch.equal(torch.get_rng_state(), global_state)
    old = []
    with torch.random.fork_rng(devices=[]):
        torch.set_rng_state(start)  # .sample() draws from the global generator
        for kind, o in calls:
            o = torch.as_tensor(o, dtype=torch.float32)
            if kind == "value":
                old.append(None)
            elif kind in ("step", "batch"):
                old.append(tuple(x.numpy() for x in learner.ac.step(o)))
            else:
                old.append((learner.ac.act(o, kind == "mode").numpy(),))
        after_old = torch.get_rng_state()
    assert_same_draws(calls, new, old, discrete)
    assert torch.equal(learner.gen.get_state(), after_old)  # and left the generator alike


@pytest.mark.parametrize("discrete", [False, True], ids=["box", "discrete"])
def test_torch_vpg_generator_continues_the_old_global_stream(discrete):
    """Earlier learners seeded torch's global generator, built the modules (their default
    init draws from it) and sampled from it: the learner's generator starts where that left
    the global one, so runs keep their numbers; checkpoints of then ('rng/torch') load."""
    from spinup.algos.pytorch.vpg import core
    obs_space, act_space = (CARTPOLE_OBS, DISCRETE) if discrete else (OBS, BOX)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(5)
        core.MLPActorCritic(obs_space, act_space, (16, 8), "tanh")
        old_stream = torch.get_rng_state()
    learner = vpg("pytorch", discrete, seed=5)
    assert torch.equal(learner.gen.get_state(), old_stream)

    obs = observations(obs_space, 4)
    learner.step(obs)
    state = learner.state_dict()
    expected = learner.step(obs)
    old_checkpoint = {("rng/torch" if k == "rng/gen" else k): v for k, v in state.items()}
    for checkpoint in (state, old_checkpoint):
        resumed = vpg("pytorch", discrete, seed=0)
        resumed.load_state_dict(checkpoint)
        for x, y in zip(resumed.step(obs), expected):
            np.testing.assert_array_equal(x, y)


def test_noise_stream_continues_across_blocks_and_from_its_key():
    draw = jax.random.normal
    whole = jax_nets.NoiseStream(jax.random.PRNGKey(0), draw, np.float32, calls_per_block=7)
    first = [whole.next((2,)) for _ in range(10)]
    key = whole.key
    rest = [whole.next((2,)) for _ in range(10)]
    resumed = jax_nets.NoiseStream(np.zeros(2, np.uint32), draw, np.float32)
    resumed.reset(key)
    np.testing.assert_array_equal(np.stack([resumed.next((2,)) for _ in range(10)]),
                                  np.stack(rest))
    k = jax.random.PRNGKey(0)
    for x in first:
        k, sub = jax.random.split(k)
        np.testing.assert_allclose(x, draw(sub, (2,), np.float32), **TOL)


# ---------------------------------------------------------------------------------------------
# The NumPy copy follows every change of the weights
# ---------------------------------------------------------------------------------------------
def perturbed(params, seed):
    rng = np.random.default_rng(seed)
    return {k: (v + 0.3 * rng.standard_normal(v.shape)).astype(v.dtype)
            for k, v in params.items()}


def td3_batches(rng, n=2, batch=8):
    return dict(obs=rng.standard_normal((n, batch, 17)), act=rng.uniform(-1, 1, (n, batch, 6)),
                rew=rng.standard_normal((n, batch)), obs2=rng.standard_normal((n, batch, 17)),
                done=np.zeros((n, batch)))


def vpg_batch(learner, rng, discrete, n=16):
    obs = observations(learner_obs_space(discrete), n, 5)
    act = rng.integers(0, 2, n) if discrete else rng.uniform(-1, 1, (n, 6))
    return dict(obs=obs.astype(np.float32), act=act, ret=rng.standard_normal(n, np.float32),
                adv=rng.standard_normal(n, np.float32), logp=-rng.random(n, np.float32))


LEARNERS = [("td3", "jax", False), ("td3", "pytorch", False), ("vpg", "jax", False),
            ("vpg", "pytorch", False), ("vpg", "jax", True), ("vpg", "pytorch", True)]


@pytest.mark.parametrize("algo,backend,discrete", LEARNERS,
                         ids=["-".join(map(str, c)) for c in LEARNERS])
def test_the_copy_follows_every_change_of_the_weights(algo, backend, discrete, tmp_path):
    """After update, set_params, load_state_dict and load, acting equals the framework forward
    of the weights now, not of the ones before."""
    rng = np.random.default_rng(0)
    if algo == "td3":
        learner, obs = td3(backend), observations(OBS, 5)

        def acting():
            return [learner.act(obs)]

        def framework():
            return [framework_td3_act(learner, obs)]

        def update():
            learner.update(td3_batches(rng))
    else:
        learner = vpg(backend, discrete)
        obs = observations(learner_obs_space(discrete), 5)

        def acting():
            return [learner.act(obs), learner.value(obs)]

        def framework():
            return list(framework_vpg(learner, obs))

        def update():
            learner.update(vpg_batch(learner, rng, discrete))

    def check(before):
        """Acting follows the framework, and differs from ``before``."""
        now = acting()
        for x, y in zip(now, framework()):
            np.testing.assert_allclose(x, y, **TOL)
        assert not np.allclose(now[-1], before[-1])
        return now

    start, state = acting(), learner.state_dict()
    learner.set_params(perturbed(learner.get_params(), 1))
    after_set = check(start)
    learner.save(str(tmp_path))
    update()
    after_update = check(after_set)
    learner.load_state_dict(state)
    for x, y in zip(check(after_update), start):
        np.testing.assert_allclose(x, y, **TOL)
    learner.load(str(tmp_path))
    for x, y in zip(check(start), after_set):
        np.testing.assert_allclose(x, y, **TOL)

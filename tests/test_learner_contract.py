"""Every learner of every registered algorithm and backend holds to the learner contract
(spinup/algos/common/learner.py): the same initial weights in both backends, canonical
parameters that round-trip and refuse wrong names and shapes, checkpoints and saved models
that round-trip exactly, its own random generators (no global state read or changed)."""
import gymnasium as gym
import numpy as np
import pytest
import torch

from spinup.algos import registry
from spinup.algos.common.learner import Learner
from spinup.algos.common.spec import build_learner

OBS = gym.spaces.Box(-np.inf, np.inf, (5,), np.float32)
BOX = gym.spaces.Box(-2.0, 2.0, (2,), np.float32)
DISCRETE = gym.spaces.Discrete(3)

CASES = [(algo, backend, space)
         for algo, record in registry.ALGOS.items() for backend in registry.BACKENDS
         for space in ((BOX, DISCRETE) if record.spec().family == "on_policy" else (BOX,))]


def ids(case):
    algo, backend, space = case
    return f"{algo}_{backend}_{type(space).__name__.lower()}"


class Spaces:
    """What build_learner needs of an env."""

    def __init__(self, act_space):
        self.observation_space, self.action_space = OBS, act_space


def make(algo, backend, space, seed=0, **overrides):
    spec = registry.ALGOS[algo].spec()
    args = dict(spec.defaults, ac_kwargs=dict(hidden_sizes=(16, 16), activation="relu"),
                seed=seed, **overrides)
    extra = {"device": "cpu"} if backend == "pytorch" else {}
    learner = build_learner(spec, registry.ALGOS[algo].learner_class(backend), args,
                            Spaces(space), **extra)
    return spec, learner


def batch(spec, space, rng):
    """A batch as the family's loop hands it to ``update``."""
    act = (rng.integers(0, space.n, 64) if isinstance(space, gym.spaces.Discrete)
           else rng.uniform(-2, 2, (64, 2)).astype(np.float32))
    if spec.family == "on_policy":
        return dict(obs=rng.standard_normal((64, 5)).astype(np.float32), act=act,
                    ret=rng.standard_normal(64).astype(np.float32),
                    adv=rng.standard_normal(64).astype(np.float32),
                    logp=rng.standard_normal(64).astype(np.float32) - 2)
    shape = (4, 32)
    return dict(obs=rng.standard_normal(shape + (5,)).astype(np.float32),
                act=rng.uniform(-2, 2, shape + (2,)).astype(np.float32),
                rew=rng.standard_normal(shape).astype(np.float32),
                obs2=rng.standard_normal(shape + (5,)).astype(np.float32),
                done=(rng.uniform(size=shape) < 0.2).astype(np.float32))


def assert_same_params(a, b):
    assert sorted(a) == sorted(b)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_protocol_and_initial_weights_shared_by_backends(case):
    algo, backend, space = case
    _, learner = make(algo, backend, space, seed=3)
    assert isinstance(learner, Learner)
    _, other = make(algo, [b for b in registry.BACKENDS if b != backend][0], space, seed=3)
    assert_same_params(learner.get_params(), other.get_params())
    _, reseeded = make(algo, backend, space, seed=4)
    assert not np.array_equal(learner.get_params()["pi/0/w"], reseeded.get_params()["pi/0/w"])


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_parameters_round_trip_and_bad_ones_are_refused(case):
    algo, backend, space = case
    _, learner = make(algo, backend, space)
    _, donor = make(algo, backend, space, seed=9)
    obs = np.linspace(-1, 1, 5, dtype=np.float32)
    learner.set_params(donor.get_params())
    assert_same_params(learner.get_params(), donor.get_params())
    np.testing.assert_allclose(learner.act(obs), donor.act(obs), rtol=1e-6)

    params = donor.get_params()
    before = learner.get_params()
    wrong = dict(params, **{"pi/0/w": np.zeros((6, 16), np.float32)})
    with pytest.raises(ValueError, match=r"pi/0/w.*\(6, 16\)"):
        learner.set_params(wrong)
    unknown = dict(params, **{"pi/9/w": np.zeros((16, 16), np.float32)})
    with pytest.raises(KeyError, match="pi/9/w"):
        learner.set_params(unknown)
    missing = {k: v for k, v in params.items() if k != "pi/0/b"}
    with pytest.raises(KeyError, match="pi/0/b"):
        learner.set_params(missing)
    assert_same_params(learner.get_params(), before)  # a refused set changes nothing
    np.testing.assert_allclose(learner.act(obs), donor.act(obs), rtol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_checkpoint_and_saved_model_round_trip(case, tmp_path):
    algo, backend, space = case
    spec, learner = make(algo, backend, space)
    rng = np.random.default_rng(0)
    learner.update(batch(spec, space, rng))
    state = learner.state_dict()
    assert all(isinstance(v, np.ndarray) for v in state.values())
    learner.save(str(tmp_path))

    data = batch(spec, space, rng)
    after = learner.update(data)
    params_after = learner.get_params()
    explore = learner.act(np.ones(5, np.float32), deterministic=False)

    _, fresh = make(algo, backend, space, seed=5)
    fresh.load_state_dict(state)
    again = fresh.update(data)  # same optimizer state and random streams: same update
    for k in after:
        np.testing.assert_array_equal(np.asarray(again[k]), np.asarray(after[k]), err_msg=k)
    assert_same_params(fresh.get_params(), params_after)
    np.testing.assert_array_equal(fresh.act(np.ones(5, np.float32), deterministic=False),
                                  explore)

    _, loaded = make(algo, backend, space, seed=6)
    loaded.load(str(tmp_path))
    fresh.load_state_dict(state)
    assert_same_params(loaded.get_params(), fresh.get_params())


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_learner_owns_its_random_generators(case):
    """Building, acting and updating neither read nor change torch's or NumPy's global
    generators: two learners with one seed act alike whatever happens in between."""
    algo, backend, space = case
    torch_state, np_state = torch.get_rng_state(), np.random.get_state()
    spec, a = make(algo, backend, space, seed=2)
    obs = np.ones(5, np.float32)
    first = a.act(obs, deterministic=False)
    a.update(batch(spec, space, np.random.default_rng(1)))
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert all(np.array_equal(x, y) for x, y in zip(np.random.get_state(), np_state))

    torch.manual_seed(123)
    np.random.seed(123)
    torch.randn(10)
    _, b = make(algo, backend, space, seed=2)
    np.testing.assert_array_equal(b.act(obs, deterministic=False), first)

"""What the bench commands share (``bench``, ``bench --runs``, ``--peers``, ``--population``,
and the scripts that time updates): which algorithms there are, learners built from their
specs, minibatches and epochs shaped like the loops', the alternating timer, JSON output. The
commands import this module and not each other (``bench.main`` hands ``--runs`` and the rest
to their modules)."""
import os
import time

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import numpy as np  # noqa: E402


def _median(xs):
    return float(np.median(np.asarray(xs)))


def _spread(xs):
    """(25th percentile, 75th percentile, min, max) of ``xs``."""
    xs = np.asarray(xs)
    return (float(np.percentile(xs, 25)), float(np.percentile(xs, 75)), float(xs.min()),
            float(xs.max()))


def _timed(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _alternate(learners, inputs, n, out):
    """Time ``update(inputs[...]) + sync()`` for each learner: one first call (compilation)
    recorded in ``out`` as ``<name>_first_call_s``, then ``n`` calls each, the backends
    alternating and their order swapped every round so neither always runs right after the
    other. Returns {name: [seconds per call]}."""
    def run(name, i):
        learner = learners[name]
        return _timed(lambda: (learner.update(inputs[i % len(inputs)]), learner.sync()))

    for name in learners:
        before = _graph_counts() if name.startswith("pytorch_") else None
        out[f"{name}_first_call_s"] = run(name, 0)
        if before is not None:  # what this learner's first call (its compilation) added
            graphs, breaks = (a - b for a, b in zip(_graph_counts(), before))
            out[f"{name}_graphs"], out[f"{name}_graph_breaks"] = graphs, breaks
    times = {name: [] for name in learners}
    for i in range(n):
        order = list(learners) if i % 2 == 0 else list(learners)[::-1]
        for name in order:
            times[name].append(run(name, i + 1))
    return times


def _graph_counts():
    from spinup.algos.pytorch.compiled import graph_counts
    return graph_counts()


# ---------------------------------------------------------------------------------------------
# Off-policy: DDPG, TD3, SAC
# ---------------------------------------------------------------------------------------------


# The contenders of the update benchmarks: each backend at its best, and PyTorch eager too.
# name -> (backend, PyTorch compile mode).
CONTENDERS = {"pytorch": ("pytorch", "none"), "pytorch_compiled": ("pytorch", "default"),
              "pytorch_cudagraphs": ("pytorch", "cudagraphs"), "jax": ("jax", None)}
PYTORCH_CONTENDERS = ("pytorch", "pytorch_compiled", "pytorch_cudagraphs")
LABELS = {"pytorch": "PyTorch eager", "pytorch_compiled": "PyTorch compiled",
          "pytorch_cudagraphs": "PyTorch CUDA graphs", "jax": "JAX"}


def contenders(device="cpu", compiled=True):
    """The contenders timed on ``device``: PyTorch eager, compiled (``compiled``), with CUDA
    graphs (on CUDA), and JAX."""
    names = ["pytorch"]
    if compiled:
        names += ["pytorch_compiled"] + (["pytorch_cudagraphs"]
                                         if str(device).startswith("cuda") else [])
    return tuple(names + ["jax"])


def best_pytorch(out, key):
    """The fastest PyTorch contender in ``out`` by ``<name>_<key>``, or None."""
    have = [n for n in PYTORCH_CONTENDERS if f"{n}_{key}" in out]
    return min(have, key=lambda n: out[f"{n}_{key}"]) if have else None


def add_ratios(out, key):
    """JAX against eager PyTorch (``jax_over_pytorch``, as before) and against the best
    PyTorch measured (``jax_over_best_pytorch``, naming it ``best_pytorch``), and each
    compiled mode against eager (``<name>_over_eager``)."""
    best = best_pytorch(out, key)
    if best is not None:
        out["best_pytorch"] = best
    if "jax" in out.get("contenders", ()) and best is not None:
        out["jax_over_pytorch"] = out[f"jax_{key}"] / out[f"pytorch_{key}"]
        out["jax_over_best_pytorch"] = out[f"jax_{key}"] / out[f"{best}_{key}"]
    for name in PYTORCH_CONTENDERS[1:]:
        if f"{name}_{key}" in out and f"pytorch_{key}" in out:
            out[f"{name}_over_eager"] = out[f"{name}_{key}"] / out[f"pytorch_{key}"]


def _learners(algo, backends, obs_space, act_space, hidden_sizes, seed, activation=None,
              device="cpu", **hyper):
    """One learner of ``algo`` per contender (``CONTENDERS``: a backend, and for PyTorch a
    compile mode), with the algorithm's default hyperparameters (its spec's) except
    ``hyper``; PyTorch's on ``device``, JAX's on its default device."""
    from spinup.algos import registry
    from spinup.algos.common.spec import build_learner

    class Spaces:
        observation_space, action_space = obs_space, act_space

    spec = registry.ALGOS[algo].spec()
    args = dict(spec.defaults, **hyper, seed=seed, ac_kwargs=dict(
        hidden_sizes=tuple(hidden_sizes), activation=activation or spec.activation))
    learners = {}
    for name in backends:
        if name not in CONTENDERS:
            raise ValueError(f"contender {name!r}: expected one of {', '.join(CONTENDERS)}")
        backend, mode = CONTENDERS[name]
        extra = {"device": device, "compile": mode} if backend == "pytorch" else {}
        learners[name] = build_learner(spec, registry.ALGOS[algo].learner_class(backend),
                                       args, Spaces, **extra)
    return learners


def _td3_blocks(n, update_every, batch_size, obs_dim, act_dim, seed):
    """``n`` blocks of minibatches shaped like a replay buffer's (float32, HalfCheetah-like)."""
    rng = np.random.default_rng(seed)
    shape = (update_every, batch_size)
    return [dict(obs=rng.standard_normal(shape + (obs_dim,), np.float32),
                 act=rng.uniform(-1, 1, shape + (act_dim,)).astype(np.float32),
                 rew=rng.standard_normal(shape, np.float32),
                 obs2=rng.standard_normal(shape + (obs_dim,), np.float32),
                 done=(rng.uniform(size=shape) < 0.01).astype(np.float32))
            for _ in range(n)]


_SPACES = {}


def env_spaces(env_id="HalfCheetah-v4"):
    """(observation_space, action_space) of ``env_id``; the env is made once per process."""
    if env_id not in _SPACES:
        import gymnasium as gym

        from spinup.utils import quiet
        quiet.quiet_libraries()  # MuJoCo's warnings: once, and no MUJOCO_LOG.TXT
        env = gym.make(env_id)
        _SPACES[env_id] = (env.observation_space, env.action_space)
        env.close()
    return _SPACES[env_id]


def _vpg_batch(steps, obs_dim, act_dim, seed):
    """One epoch shaped like ``GAEBuffer.get()``'s (float32; advantages normalised)."""
    rng = np.random.default_rng(seed)
    adv = rng.standard_normal(steps)
    return dict(obs=rng.standard_normal((steps, obs_dim), np.float32),
                act=rng.standard_normal((steps, act_dim), np.float32),
                ret=rng.standard_normal(steps, np.float32),
                adv=((adv - adv.mean()) / (adv.std() + 1e-8)).astype(np.float32),
                logp=(-rng.uniform(4, 8, steps)).astype(np.float32))


def _spec(algo):
    from spinup.algos import registry
    return registry.ALGOS[algo].spec()


def all_algos():
    """Every registered algorithm, in the registry's order."""
    from spinup.algos import registry
    return list(registry.ALGOS)


def on_policy(algo):
    return _spec(algo).family == "on_policy"


def _jsonable(x):
    if isinstance(x, dict):
        return {k: _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.generic):
        return x.item()
    return x


def write_json(path, data):
    """A benchmark's results as indented JSON at ``path`` (its folder made); says so."""
    import json
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(_jsonable(data), f, indent=1)
    print(f"wrote {path}")

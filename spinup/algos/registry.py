"""Which algorithms exist: one record per algorithm, naming its spec (facts, checks, loop)
and, per backend, its learner class and entry point.

Importing this module imports neither torch nor jax; a record's parts load on first use.
"""
import difflib
import importlib
from dataclasses import dataclass

from spinup.algos.common.checks import InputError

BACKENDS = ("pytorch", "jax")


@dataclass(frozen=True)
class Backend:
    """One backend's half of an algorithm: ``module:name`` of its learner class and of its
    entry point."""
    learner: str
    entry: str


@dataclass(frozen=True)
class Algo:
    """One algorithm: its spec (``module:SPEC``), its backends, and the backend its plain
    name ('td3') runs (``spinup.user_config.DEFAULT_BACKEND`` can override it)."""
    name: str
    spec_path: str
    backends: dict
    default_backend: str = "pytorch"

    def spec(self):
        """The AlgoSpec: defaults, checks, columns, the family's loop (``spec.loop()``)."""
        return _import(self.spec_path)

    def learner_class(self, backend):
        return _import(self.backends[backend].learner)

    def entry_point(self, backend):
        return _import(self.backends[backend].entry)


def laid_out(name, learner, default_backend, package="spinup.algos"):
    """The record of an algorithm laid out as spinup's are: its spec
    ``<package>.common.<name>:SPEC``, and per backend the learner ``<package>.<backend>.<name>.
    <name>:<learner>`` and the entry point ``...:<name>_<backend>``."""
    mods = {b: f"{package}.{b}.{name}.{name}" for b in BACKENDS}
    return Algo(name, f"{package}.common.{name}:SPEC",
                {b: Backend(f"{m}:{learner}", f"{m}:{name}_{b}") for b, m in mods.items()},
                default_backend)


# The one list of algorithms: everything that enumerates them (the CLI's names, `spinup`'s
# imports, the default backends, bench's tables, the tests) reads it. A line: the name, the
# learner class of both backends, the backend of the plain name.
ALGOS = {}
ENTRY_POINTS = {}  # 'td3_jax' -> 'module:function', for every algorithm and backend


def register(algo):
    """Add an algorithm (an ``Algo``, e.g. from ``laid_out``); returns it."""
    if algo.default_backend not in algo.backends:
        raise ValueError(f"{algo.name}: default backend {algo.default_backend!r} is not one of "
                         f"its backends {sorted(algo.backends)}")
    ALGOS[algo.name] = algo
    ENTRY_POINTS.update({f"{algo.name}_{b}": be.entry for b, be in algo.backends.items()})
    return algo


def unregister(name):
    """Remove algorithm ``name`` (what ``register`` added)."""
    algo = ALGOS.pop(name)
    for b in algo.backends:
        ENTRY_POINTS.pop(f"{name}_{b}", None)


for _line in (("vpg", "VPGLearner", "pytorch"),
              ("ppo", "PPOLearner", "pytorch"),
              ("trpo", "TRPOLearner", "pytorch"),
              ("ddpg", "DDPGLearner", "jax"),
              ("td3", "TD3Learner", "jax"),
              ("sac", "SACLearner", "jax")):
    register(laid_out(*_line))


def _load_plugins():
    """Import the modules named in SPINUP_ALGORITHMS (comma-separated), each of which adds its
    algorithms with ``register``: an algorithm kept outside this package, known to every
    command and every process spinup starts (grids, Ray workers, resume)."""
    import os
    for module in filter(None, (m.strip() for m in
                                os.environ.get("SPINUP_ALGORITHMS", "").split(","))):
        try:
            importlib.import_module(module)
        except ImportError as e:
            raise InputError(f"SPINUP_ALGORITHMS names {module!r}, which cannot be imported "
                             f"({e})") from None


def in_family(family):
    """The names of the algorithms of ``family`` ('on_policy', 'off_policy'), in list order."""
    return [name for name, algo in ALGOS.items() if algo.spec().family == family]


def _import(path):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def names():
    """Every accepted algorithm name: 'td3' and 'td3_jax' alike."""
    return sorted(list(ALGOS) + list(ENTRY_POINTS))


def resolve(name):
    """'td3' -> 'td3_<default backend>', 'td3_jax' -> 'td3_jax'; unknown names are an
    InputError that suggests the closest ones."""
    from spinup.user_config import DEFAULT_BACKEND, default_backend
    if name in ALGOS:
        backend = DEFAULT_BACKEND.get(name) or default_backend(name, ALGOS[name].default_backend)
        if backend not in BACKENDS:
            raise InputError(f"default backend for {name} is {backend!r}: expected one of "
                             f"{', '.join(BACKENDS)} (see spinup/user_config.py)")
        return f"{name}_{backend}"
    if name in ENTRY_POINTS:
        return name
    close = difflib.get_close_matches(str(name), names(), n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise InputError(f"unknown algorithm {name!r}: {hint}accepted are {', '.join(names())}")


def lookup(name):
    """(record, backend) of any spelling of an algorithm name."""
    algo, backend = resolve(name).rsplit("_", 1)
    return ALGOS[algo], backend


def spec(name):
    """The AlgoSpec of any spelling of an algorithm name."""
    return lookup(name)[0].spec()


def entry_point(name):
    """The entry-point function of algorithm ``name`` (imports its backend)."""
    algo, backend = lookup(name)
    return algo.entry_point(backend)


def learner_class(name):
    """The learner class of algorithm ``name`` (imports its backend)."""
    algo, backend = lookup(name)
    return algo.learner_class(backend)


def make_learner(name, obs_space, act_space, **overrides):
    """A fresh learner of algorithm ``name`` for these spaces with the algorithm's default
    hyperparameters (its spec's, as the entry point would use them) except ``overrides``:
    hyperparameters, ``hidden_sizes``/``activation``, and the learner's own ``dtype``,
    ``device``, ``compile``."""
    from spinup.algos.common.spec import learner_kwargs
    sp = spec(name)
    own = {k: overrides.pop(k) for k in ("dtype", "device", "compile") if k in overrides}
    ac = dict(hidden_sizes=overrides.pop("hidden_sizes", sp.hidden_sizes),
              activation=overrides.pop("activation", sp.activation))
    unknown = sorted(set(overrides) - set(sp.learner_args))
    if unknown:
        raise InputError(f"{resolve(name)}'s learner does not take {', '.join(unknown)}; "
                         f"accepted: {', '.join(sp.learner_args)}, hidden_sizes, activation, "
                         "dtype, device, compile")
    args = dict(sp.defaults, **overrides, ac_kwargs=ac)
    return learner_class(name)(obs_space, act_space, **learner_kwargs(sp, args, **own))


def family(name):
    """'on_policy' or 'off_policy' for any spelling of an algorithm name."""
    return spec(name).family


def check_args(name, kwargs, env):
    """Check the keyword arguments of algorithm ``name`` with its signature's defaults filled
    in. Returns the full normalised dict (without env_fn; arguments under their config.json
    names, which ``kwargs`` may use too). Imports no framework."""
    algo, backend = lookup(name)
    sp = algo.spec()
    kwargs = sp.from_config_names(kwargs)
    sig = sp.signature(backend)
    accepted = [p for p in sig.parameters if p != "env_fn"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise InputError(f"{resolve(name)} does not take {', '.join(unknown)}; accepted "
                         f"arguments: {', '.join(accepted)}")
    full = {p.name: p.default for p in sig.parameters.values() if p.name != "env_fn"}
    full.update(kwargs)
    full.pop("env_fn", None)
    return sp.check_args(env, full)


def name_of(fn):
    """The registered name of an entry-point function, or None for any other callable."""
    path = f"{getattr(fn, '__module__', '')}:{getattr(fn, '__name__', '')}"
    for name, entry in ENTRY_POINTS.items():
        if entry == path:
            return name
    return None


_load_plugins()

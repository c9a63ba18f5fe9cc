"""Which algorithms exist, where their entry points live, and how their arguments are checked.

Importing this module imports neither torch nor jax.
"""
import difflib
import importlib
import inspect

from spinup.algos.common.checks import InputError

BACKENDS = ("pytorch", "jax")

# algo family -> "module:function" that checks a full set of keyword arguments
# (signature defaults applied, env_fn already made into an env) before any work starts.
CHECKERS = {
    "vpg": "spinup.algos.common.vpg:check_vpg_args",
    "td3": "spinup.algos.common.td3:check_td3_args",
}

ENTRY_POINTS = {
    f"{algo}_{backend}": f"spinup.algos.{backend}.{algo}.{algo}:{algo}_{backend}"
    for algo in CHECKERS for backend in BACKENDS
}


def _import(path):
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def resolve(name):
    """'td3' -> 'td3_<default backend>', 'td3_jax' -> 'td3_jax'; unknown names are an
    InputError that suggests the closest ones."""
    from spinup.user_config import DEFAULT_BACKEND
    if name in CHECKERS:
        backend = DEFAULT_BACKEND[name]
        if backend not in BACKENDS:
            raise InputError(f"default backend for {name} is {backend!r}: expected one of "
                             f"{', '.join(BACKENDS)} (see spinup/user_config.py)")
        return f"{name}_{backend}"
    if name in ENTRY_POINTS:
        return name
    known = sorted(list(CHECKERS) + list(ENTRY_POINTS))
    close = difflib.get_close_matches(str(name), known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise InputError(f"unknown algorithm {name!r}: {hint}accepted are {', '.join(known)}")


def entry_point(name):
    """The entry-point function of algorithm ``name`` (imports its backend)."""
    return _import(ENTRY_POINTS[resolve(name)])


def family(name):
    """'vpg' or 'td3' for any spelling of an algorithm name."""
    return resolve(name).split("_")[0]


def check_args(name, kwargs, env):
    """Check the keyword arguments of algorithm ``name`` with its signature's defaults filled
    in. Returns the full normalised dict (without env_fn)."""
    fn = entry_point(name)
    sig = inspect.signature(fn)
    accepted = [p for p in sig.parameters if p != "env_fn"]
    unknown = sorted(set(kwargs) - set(accepted))
    if unknown:
        raise InputError(f"{resolve(name)} does not take {', '.join(unknown)}; accepted "
                         f"arguments: {', '.join(accepted)}")
    full = {p.name: p.default for p in sig.parameters.values()
            if p.default is not inspect.Parameter.empty}
    full.update(kwargs)
    full.pop("env_fn", None)
    return _import(CHECKERS[family(name)])(env, full)


def name_of(fn):
    """The registered name of an entry-point function, or None for any other callable."""
    path = f"{getattr(fn, '__module__', '')}:{getattr(fn, '__name__', '')}"
    for name, entry in ENTRY_POINTS.items():
        if entry == path:
            return name
    return None

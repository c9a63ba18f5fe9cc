"""spinup: SpinningUp-style deep RL with PyTorch and JAX backends on one shared loop.

``import spinup`` is cheap: the algorithms (and torch or jax with them) load on first use, e.g.
``from spinup import td3_jax`` imports JAX only.
"""
import importlib
import importlib.abc
import importlib.util
import os
import sys

# NumPy's OpenBLAS runs large products on all cores and its threads then spin for a while,
# taking those cores from the update that follows (a VPG epoch's batched V(s) made PyTorch's
# update 1.5x slower on 2 cores). The loop's NumPy math is small: one BLAS thread, unless the
# user chose otherwise. This takes effect when spinup is imported before NumPy (as with
# ``python -m spinup.run``, and in every process spinup starts).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

XLA_VECTOR_FLAG = "--xla_cpu_prefer_vector_width=512"


def _avx512_cpu():
    """Whether this is an x86-64 Linux CPU with AVX-512 (its first ``flags`` line says so)."""
    if not hasattr(os, "uname") or os.uname().machine != "x86_64":
        return False
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return "avx512f" in line.split()
    except OSError:
        pass
    return False


def _jaxlib_at_least(major, minor):
    """Whether the installed jaxlib is at least ``major.minor`` (False if none is installed or
    its version is unreadable): an XLA that does not know a flag in XLA_FLAGS aborts, so the
    flag goes only to the versions tested with it (0.10 here, 0.11 on the GPU machine). Read
    from jaxlib/version.py's ``_version`` line, without importing jaxlib or package metadata
    (30 ms), to keep ``import spinup`` cheap."""
    spec = importlib.util.find_spec("jaxlib")
    if spec is None or not spec.submodule_search_locations:
        return False
    try:
        with open(os.path.join(spec.submodule_search_locations[0], "version.py")) as f:
            line = next((x for x in f if x.startswith("_version")), "")
        found = tuple(int(x) for x in line.split('"')[1].split(".")[:2])
    except (OSError, IndexError, ValueError):
        return False
    return found >= (major, minor)


def xla_cpu_defaults(environ=os.environ):
    """XLA:CPU compiles for 256-bit vectors unless told otherwise. On AVX-512 CPUs, 512-bit
    vectors made every JAX update here 2.5-7% faster (docs/speed.md), so spinup asks for them
    when the user's XLA_FLAGS names no vector width and SPINUP_XLA_DEFAULTS is not 0. Returns
    the flag it added to ``environ``, or None. XLA reads XLA_FLAGS when JAX first computes,
    so this holds when spinup is imported before that (as in every process spinup starts)."""
    flags = environ.get("XLA_FLAGS", "")
    if (environ.get("SPINUP_XLA_DEFAULTS", "1") == "0" or "xla_cpu_prefer_vector_width" in flags
            or not _avx512_cpu() or not _jaxlib_at_least(0, 10)):
        return None
    environ["XLA_FLAGS"] = f"{flags} {XLA_VECTOR_FLAG}".strip()
    return XLA_VECTOR_FLAG


XLA_FLAG_ADDED = xla_cpu_defaults()

__version__ = "0.1.0"

# The algorithms' entry points (``td3_jax``, ...) are spinup.algos.registry's, looked up on
# first use; these are the rest of SpinningUp's names at the package root.
_LAZY = {
    "EpochLogger": "spinup.utils.logx",
    "Logger": "spinup.utils.logx",
    "ExperimentGrid": "spinup.commands.run_utils",
    "call_experiment": "spinup.commands.run_utils",
    "setup_logger_kwargs": "spinup.commands.run_utils",
}


def _names():
    from spinup.algos import registry
    return sorted([*registry.ENTRY_POINTS, *_LAZY])


def __getattr__(name):
    if name == "__all__":
        return _names()
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if not name.startswith("_"):
        from spinup.algos import registry
        if name in registry.ENTRY_POINTS:
            return registry.entry_point(name)
    raise AttributeError(f"module 'spinup' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + _names())


# SpinningUp's import paths for modules that live in another room here: each is the same
# module object as the one it names (``spinup.utils.plot is spinup.commands.plot``). The
# mapping sits at the package root, above the rooms, so that nothing under spinup/utils
# imports from spinup/commands (docs/design.md, "SpinningUp's import paths").
SPINUP_PATHS = {
    "spinup.utils.run_utils": "spinup.commands.run_utils",
    "spinup.utils.plot": "spinup.commands.plot",
    "spinup.utils.test_policy": "spinup.commands.test_policy",
}


class _SpinupPaths(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports a name of SPINUP_PATHS as the module it maps to."""

    def __init__(self):
        self.own_specs = {}

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in SPINUP_PATHS:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        module = importlib.import_module(SPINUP_PATHS[spec.name])
        self.own_specs[spec.name] = module.__spec__
        return module

    def exec_module(self, module):
        # importlib has just set the alias's spec on the module; give it back its own.
        module.__spec__ = self.own_specs[module.__spec__.name]


if not any(isinstance(f, _SpinupPaths) for f in sys.meta_path):
    sys.meta_path.insert(0, _SpinupPaths())

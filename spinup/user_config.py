"""User settings. Each one can be overridden by the environment variable named beside it."""
import os
import os.path as osp


def _env_bool(name, default):
    val = os.environ.get(name)
    if val is None:
        return default
    if val.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if val.strip().lower() in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{name}={val!r}: expected one of 1/0, true/false, yes/no, on/off")


def _env_float(name, default):
    val = os.environ.get(name)
    if val is None:
        return default
    try:
        out = float(val)
    except ValueError:
        raise ValueError(f"{name}={val!r}: expected a number of seconds >= 0") from None
    if out < 0:
        raise ValueError(f"{name}={val!r}: expected a number of seconds >= 0")
    return out


# Where experiment outputs go (SPINUP_DATA_DIR). Default: ./data under the working directory.
DEFAULT_DATA_DIR = os.environ.get("SPINUP_DATA_DIR", osp.join(os.getcwd(), "data"))

def default_backend(algo, default):
    """The backend the plain name ``algo`` runs: SPINUP_BACKEND_<ALGO>, else SPINUP_BACKEND,
    else the algorithm's own default (its line in spinup.algos.registry)."""
    return os.environ.get(f"SPINUP_BACKEND_{algo.upper()}",
                          os.environ.get("SPINUP_BACKEND", default))


def _default_backends():
    from spinup.algos.registry import ALGOS
    return {name: default_backend(name, a.default_backend) for name, a in ALGOS.items()}


# Backend used when an algorithm is named without a suffix, e.g. `td3` (SPINUP_BACKEND_<ALGO>,
# or SPINUP_BACKEND for all of them); the defaults are the registry's (VPG, PPO: pytorch;
# DDPG, TD3, SAC: jax).
DEFAULT_BACKEND = _default_backends()

# Always put a datestamp in experiment folder names (SPINUP_FORCE_DATESTAMP).
FORCE_DATESTAMP = _env_bool("SPINUP_FORCE_DATESTAMP", False)

# ExperimentGrid names variants with shorthands of the keys rather than full keys
# (SPINUP_DEFAULT_SHORTHAND).
DEFAULT_SHORTHAND = _env_bool("SPINUP_DEFAULT_SHORTHAND", True)

# Seconds to wait, after printing the grid, before launching it (SPINUP_WAIT_BEFORE_LAUNCH).
WAIT_BEFORE_LAUNCH = _env_float("SPINUP_WAIT_BEFORE_LAUNCH", 0)

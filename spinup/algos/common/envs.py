"""Environment construction and checks, framework-free."""
import difflib

import numpy as np

from spinup.algos.common.checks import InputError


def registered_env_ids():
    import gymnasium as gym
    return sorted(gym.registry.keys())


def check_env_id(env_id):
    """Raise InputError for an id gymnasium does not know, suggesting the closest ones."""
    if not isinstance(env_id, str):
        raise InputError(f"env_name={env_id!r}: expected a gymnasium environment id such as "
                         "'HalfCheetah-v4'")
    ids = registered_env_ids()
    if env_id in ids:
        return env_id
    close = difflib.get_close_matches(env_id, ids, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else \
        "; see gymnasium.registry for the registered ids"
    raise InputError(f"unknown environment id {env_id!r}{hint}")


class EnvFn:
    """``EnvFn('HalfCheetah-v4')()`` makes the env. Unlike a lambda it is picklable and shows its
    id in config.json, so a saved run knows how to rebuild its environment."""

    def __init__(self, env_id, **make_kwargs):
        self.env_id = check_env_id(env_id)
        self.make_kwargs = make_kwargs

    def __call__(self, **extra):
        import gymnasium as gym
        return gym.make(self.env_id, **{**self.make_kwargs, **extra})

    def to_json(self):
        return dict(env_id=self.env_id, **self.make_kwargs)

    def __repr__(self):
        return f"EnvFn({self.env_id!r})"


def env_fn_from_config(cfg):
    """Rebuild an env factory from a run's config.json (see ``EnvFn.to_json``)."""
    spec = cfg.get("env_fn")
    if isinstance(spec, dict) and "env_id" in spec:
        spec = dict(spec)
        return EnvFn(spec.pop("env_id"), **spec)
    if cfg.get("env_name"):
        return EnvFn(cfg["env_name"])
    raise InputError("config.json does not say which environment the run used "
                     "(no env_fn.env_id, no env_name)")


def space_kind(space):
    """'box' or 'discrete'; anything else is an InputError."""
    from gymnasium import spaces
    if isinstance(space, spaces.Box):
        return "box"
    if isinstance(space, spaces.Discrete):
        return "discrete"
    raise InputError(f"action space {space!r} is not supported: expected gymnasium.spaces.Box "
                     "or gymnasium.spaces.Discrete")


def require_box(space, algo):
    from gymnasium import spaces
    if not isinstance(space, spaces.Box):
        raise InputError(f"{algo} needs a continuous action space (gymnasium.spaces.Box); "
                         f"this env has {space!r}")
    if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        raise InputError(f"{algo} needs a bounded Box action space; this env has {space!r}")
    return space


def obs_dim(space):
    if space.shape is None or len(space.shape) != 1:
        raise InputError(f"observation space {space!r} is not supported: expected a flat Box")
    return int(space.shape[0])


def read_run_config(run_dir, default_hidden, default_activation):
    """(config, env) of a saved run: its config.json (ac_kwargs normalised with the
    algorithm's defaults) and one env made from the env factory it records."""
    import json
    import os.path as osp

    from spinup.algos.common.checks import ac_kwargs
    path = osp.join(run_dir, "config.json")
    if not osp.isfile(path):
        raise InputError(f"{run_dir!r} is not a run directory: it has no config.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg["ac_kwargs"] = ac_kwargs(cfg.get("ac_kwargs"), default_hidden, default_activation)
    return cfg, env_fn_from_config(cfg)()

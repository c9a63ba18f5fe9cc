"""Environment construction and checks, framework-free."""
import difflib

import numpy as np

from spinup.algos.common.checks import InputError
from spinup.utils import quiet


def check_env_id(env_id):
    """Raise InputError for an id gymnasium does not know, suggesting the closest ones."""
    if not isinstance(env_id, str):
        raise InputError(f"env_name={env_id!r}: expected a gymnasium environment id such as "
                         "'HalfCheetah-v4'")
    import gymnasium as gym
    ids = sorted(gym.registry.keys())
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
        quiet.quiet_libraries()  # library warnings: once, in our words (utils/quiet.py)
        quiet.note_env(self.env_id)
        return gym.make(self.env_id, **{**self.make_kwargs, **extra})

    def to_json(self):
        """What config.json records: the id and the keyword arguments of gym.make."""
        return dict(env_id=self.env_id, **self.make_kwargs)

    def __repr__(self):
        return f"EnvFn({self.env_id!r})"


class RecordedEnvFn:
    """A user's own env factory (a lambda, the form SpinningUp documents) with what
    config.json can record of it: gymnasium's spec of the env it made (registered id, make
    arguments, wrappers that record their arguments), which rebuilds that env without
    pickling the function. ``spec`` is None when gymnasium cannot describe the env."""

    def __init__(self, fn, spec):
        self.fn, self.spec = fn, spec

    def __call__(self, **extra):
        return self.fn(**extra)

    def to_json(self):
        return dict(gymnasium_spec=self.spec) if self.spec is not None else repr(self.fn)


def recorded_env_fn(env_fn, env):
    """``env_fn`` as config.json should record it: an EnvFn as it is; any other factory
    with the gymnasium spec of ``env``, the env it made, when that spec can rebuild it."""
    if isinstance(env_fn, (EnvFn, RecordedEnvFn)):
        return env_fn
    import json
    spec = getattr(env, "spec", None)
    try:
        spec = json.loads(spec.to_json()) if spec is not None else None
    except (TypeError, ValueError):  # make arguments that JSON cannot hold
        spec = None
    if spec is not None and any(w.get("kwargs") is None for w in spec["additional_wrappers"]):
        spec = None  # a wrapper that does not record its arguments cannot be remade
    return RecordedEnvFn(env_fn, spec)


class SpecEnvFn:
    """Makes the env a gymnasium spec (as ``RecordedEnvFn`` records it) describes."""

    def __init__(self, spec):
        from gymnasium.envs.registration import EnvSpec
        import json
        self.spec = spec
        self.env_spec = EnvSpec.from_json(json.dumps(spec))
        self.env_id = self.env_spec.id

    def __call__(self, **extra):
        import gymnasium as gym
        quiet.quiet_libraries()
        return gym.make(self.env_spec, **extra)

    def to_json(self):
        """What config.json records (a resumed run writes it again)."""
        return dict(gymnasium_spec=self.spec)

    def __repr__(self):
        return f"SpecEnvFn({self.env_id!r})"


def env_fn_from_config(cfg):
    """Rebuild an env factory from a run's config.json (see ``EnvFn.to_json`` and
    ``RecordedEnvFn.to_json``). A run folder may come from anywhere, so what it says is
    checked before anything is imported or made (``trusted_spec``): the env must be one that
    gymnasium's registry holds here, made by the registry's own code, with plain make
    arguments and only gymnasium's own wrappers; anything else is an InputError naming it."""
    spec = cfg.get("env_fn")
    if isinstance(spec, dict) and "env_id" in spec:
        spec = dict(spec)
        env_id = _registered(spec.pop("env_id"), "env_fn.env_id")
        return EnvFn(env_id, **plain_value(spec, "env_fn's make arguments"))
    if isinstance(spec, dict) and isinstance(spec.get("gymnasium_spec"), dict):
        trusted = trusted_spec(spec["gymnasium_spec"])
        try:
            return SpecEnvFn(trusted)
        except Exception as e:  # gymnasium refuses a spec it wrote: name it in one line
            raise InputError(f"config.json's env_fn.gymnasium_spec cannot be read by this "
                             f"gymnasium ({type(e).__name__}: {e})") from None
    if cfg.get("env_name"):
        return EnvFn(_registered(cfg["env_name"], "env_name"))
    raise InputError("config.json does not say which environment the run used (no "
                     "env_fn.env_id, env_fn.gymnasium_spec or env_name): its env_fn made an "
                     "env that gymnasium cannot describe; train with env_fn=EnvFn('ID') or a "
                     "function returning gymnasium.make('ID', ...)")


def _registered(env_id, where):
    """``env_id`` if gymnasium's registry holds it, else an InputError naming config.json."""
    try:
        return check_env_id(env_id)
    except InputError as e:
        raise InputError(f"config.json's {where}: {e} (a run folder can only name an env "
                         "registered with gymnasium here)") from None


PLAIN = (bool, int, float, str, type(None))


def plain_value(value, where, depth=0):
    """``value`` if it is plain data: numbers, strings, booleans and null, in lists and
    string-keyed dicts at most 4 deep; else an InputError naming ``where``."""
    if isinstance(value, PLAIN):
        return value
    if depth < 4 and isinstance(value, list):
        return [plain_value(v, where, depth + 1) for v in value]
    if depth < 4 and isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: plain_value(v, where, depth + 1) for k, v in value.items()}
    raise InputError(f"config.json's {where} holds {type(value).__name__} {str(value)[:60]!r}: "
                     "only numbers, strings, booleans, null and shallow lists or dicts of "
                     "them are accepted")


# gymnasium's own wrappers (what a spec records for gymnasium.make's wrappers and the usual
# user ones): the only code a run folder's spec may name, and only as a Wrapper class.
WRAPPER_MODULES = ("gymnasium.wrappers",)
SPEC_FLAGS = ("order_enforce", "disable_env_checker", "apply_api_compatibility", "autoreset")


def trusted_spec(spec):
    """A gymnasium spec read from a run folder, reduced to what cannot run code: its id must
    be registered here and is made by the registry's entry point (a different entry point
    or a vector entry point in the folder is refused), its kwargs plain data, its wrappers
    gymnasium's own Wrapper classes with plain kwargs. Returns the spec to make."""
    import importlib
    import gymnasium as gym
    where = "env_fn.gymnasium_spec"
    env_id = _registered(spec.get("id"), f"{where}.id")
    registered = gym.spec(env_id)
    ours = registered.entry_point if isinstance(registered.entry_point, str) else None
    theirs = spec.get("entry_point")
    if theirs is not None and theirs != ours:
        raise InputError(f"config.json's {where} makes {env_id} with entry point {theirs!r}, "
                         f"not gymnasium's registered {ours!r}: a run folder cannot choose the "
                         "code that makes its env")
    if spec.get("vector_entry_point") not in (None, registered.vector_entry_point):
        raise InputError(f"config.json's {where} names a vector entry point "
                         f"{spec['vector_entry_point']!r}; a run folder cannot name code")
    out = json_spec(registered)
    out["kwargs"] = plain_value(spec.get("kwargs") or {}, f"{where}.kwargs")
    steps = spec.get("max_episode_steps")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)):
        raise InputError(f"config.json's {where}.max_episode_steps is {steps!r}: expected an "
                         "integer or null")
    out["max_episode_steps"] = steps
    for flag in SPEC_FLAGS:
        if flag in spec:
            out[flag] = plain_value(spec[flag], f"{where}.{flag}")
    wrappers = spec.get("additional_wrappers") or []
    if not isinstance(wrappers, list):
        raise InputError(f"config.json's {where}.additional_wrappers is not a list")
    out["additional_wrappers"] = []
    for w in wrappers:
        path = w.get("entry_point") if isinstance(w, dict) else None
        module, _, name = path.partition(":") if isinstance(path, str) else ("", "", "")
        if not name or not module.startswith(WRAPPER_MODULES):
            raise InputError(f"config.json's {where} wraps the env with {path!r}: only "
                             f"gymnasium's own wrappers ({', '.join(WRAPPER_MODULES)}) can be "
                             "named by a run folder")
        cls = getattr(importlib.import_module(module), name, None)
        if not (isinstance(cls, type) and issubclass(cls, gym.Wrapper)):
            raise InputError(f"config.json's {where} wraps the env with {path!r}, which is not "
                             "a gymnasium Wrapper class")
        out["additional_wrappers"].append(dict(
            name=str(w.get("name", name)), entry_point=path,
            kwargs=plain_value(w.get("kwargs") or {}, f"{where} wrapper {name}'s kwargs")))
    return out


def json_spec(env_spec):
    """A registered EnvSpec as the dict ``EnvSpec.to_json`` writes (no wrappers)."""
    import json
    return json.loads(env_spec.to_json())


def space_kind(space):
    """'box' or 'discrete'; anything else is an InputError."""
    from gymnasium import spaces
    if isinstance(space, spaces.Box):
        return "box"
    if isinstance(space, spaces.Discrete):
        return "discrete"
    raise InputError(f"action space {space!r} is not supported: expected gymnasium.spaces.Box "
                     "or gymnasium.spaces.Discrete")


def require_box(space, algo, env_id=None):
    """``space`` must be a bounded Box (continuous actions) for ``algo``; ``env_id`` names
    the env in the error."""
    from gymnasium import spaces
    env = env_id or "this env"
    if not isinstance(space, spaces.Box):
        raise InputError(f"{algo} needs a continuous action space (gymnasium.spaces.Box); "
                         f"{env} has {space!r}")
    if not (np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))):
        raise InputError(f"{algo} needs a bounded Box action space; {env} has {space!r}")
    return space


def obs_dim(space):
    """The size of a flat Box observation space."""
    if space.shape is None or len(space.shape) != 1:
        raise InputError(f"observation space {space!r} is not supported: expected a flat Box")
    return int(space.shape[0])


# ---------------------------------------------------------------------------------------------
# Environment state for checkpoints
# ---------------------------------------------------------------------------------------------
def rng_state(env):
    """The JSON-able state of the env's random generator (initial states of resets)."""
    return env.unwrapped.np_random.bit_generator.state


def set_rng_state(env, state):
    """Restore what ``rng_state`` returned."""
    env.unwrapped.np_random.bit_generator.state = state


def _time_limit(env):
    from gymnasium.wrappers import TimeLimit
    while env is not None:
        if isinstance(env, TimeLimit):
            return env
        env = getattr(env, "env", None)
    return None


def physics_state(env):
    """The state an episode in progress needs to continue exactly, as NumPy arrays, or None
    when this kind of env cannot be captured (then a resumed run starts a fresh episode).
    MuJoCo envs: the full integration state (time, qpos, qvel, warm start, ...); envs with a
    NumPy ``state`` attribute (classic control): that array. Plus the time-limit counter."""
    u = env.unwrapped
    out = {}
    if hasattr(u, "model") and hasattr(u, "data"):
        import mujoco
        spec = mujoco.mjtState.mjSTATE_INTEGRATION
        state = np.empty(mujoco.mj_stateSize(u.model, spec))
        mujoco.mj_getState(u.model, u.data, state, spec)
        out["mujoco"] = state
    elif isinstance(getattr(u, "state", None), np.ndarray):
        out["state"] = np.array(u.state)
    else:
        return None
    limit = _time_limit(env)
    if limit is not None:
        out["elapsed_steps"] = np.array(limit._elapsed_steps)
    return out


def set_physics_state(env, arrays):
    """Restore what ``physics_state`` captured (the env must have been reset once)."""
    u = env.unwrapped
    if "mujoco" in arrays:
        import mujoco
        mujoco.mj_setState(u.model, u.data, np.asarray(arrays["mujoco"], np.float64),
                           mujoco.mjtState.mjSTATE_INTEGRATION)
    else:
        u.state = np.array(arrays["state"])
    limit = _time_limit(env)
    if limit is not None and "elapsed_steps" in arrays:
        limit._elapsed_steps = int(arrays["elapsed_steps"])


# ---------------------------------------------------------------------------------------------
# Several environments stepped together
# ---------------------------------------------------------------------------------------------
class EnvBatch:
    """``num_envs`` copies of an environment behind one batched interface: observations,
    rewards and flags with a leading ``num_envs`` axis. An episode that ends is reset in the
    same step (its last observation is returned apart), so no step is ever a dummy one.

    One env is the plain env (no vector wrapper: ``--num_envs 1`` is exactly the single-env
    computation); several are gymnasium's ``SyncVectorEnv``, or ``AsyncVectorEnv`` (one
    subprocess per env) with ``async_envs``, both with same-step autoreset."""

    def __init__(self, env_fn, num_envs=1, async_envs=False, first_env=None):
        from gymnasium.vector import AsyncVectorEnv, AutoresetMode, SyncVectorEnv
        self.num_envs, self.async_envs = int(num_envs), bool(async_envs)
        if self.num_envs == 1:
            self.env = first_env if first_env is not None else env_fn()
            self.envs = [self.env]
            self.action_space = self.env.action_space
            self.observation_space = self.env.observation_space
            return
        if first_env is not None:
            first_env.close()
        fns = [lambda: env_fn() for _ in range(self.num_envs)]
        if self.async_envs:
            # spawn, not fork: forking a process that runs JAX's threads can deadlock.
            self.vec = AsyncVectorEnv(fns, autoreset_mode=AutoresetMode.SAME_STEP,
                                      context="spawn")
        else:
            self.vec = SyncVectorEnv(fns, autoreset_mode=AutoresetMode.SAME_STEP)
        self.envs = None if self.async_envs else self.vec.envs
        self.action_space = self.vec.single_action_space
        self.observation_space = self.vec.single_observation_space

    def seed_actions(self, seed):
        """Seed the stream of uniformly random actions (TD3's start_steps)."""
        self.action_space.seed(seed)

    def sample_actions(self):
        """One uniformly random action per env, shaped ``[num_envs, ...]``."""
        return np.stack([self.action_space.sample() for _ in range(self.num_envs)])

    def reset(self, seed=None):
        """Reset every env (env i seeded with ``seed + i``); observations ``[num_envs, ...]``."""
        if self.num_envs == 1:
            return np.asarray(self.env.reset(seed=seed)[0])[None]
        return self.vec.reset(seed=seed)[0]

    def reset_some(self, mask, obs):
        """Reset the envs where ``mask`` is true; ``obs`` with their rows replaced."""
        mask = np.asarray(mask, bool)
        if not mask.any():  # (gymnasium refuses a reset_mask without a True)
            return obs
        if self.num_envs == 1:
            return np.asarray(self.env.reset()[0])[None]
        new = self.vec.reset(options={"reset_mask": mask})[0]
        return np.where(mask[:, None], new, obs)

    def step(self, actions):
        """Step every env: (obs, rew, terminated, truncated, final_obs). Where an episode
        ended, ``obs`` is already the next episode's first observation and ``final_obs`` holds
        the ended one's last (elsewhere ``final_obs`` equals ``obs``)."""
        if self.num_envs == 1:
            o, r, term, trunc, _ = self.env.step(actions[0])
            final = np.asarray(o)[None]
            if term or trunc:
                o = self.env.reset()[0]
            return (np.asarray(o)[None], np.array([r]), np.array([term]), np.array([trunc]),
                    final)
        o, r, term, trunc, info = self.vec.step(actions)
        final = o.copy()
        if "final_obs" in info:
            for i in np.flatnonzero(info["_final_obs"]):
                final[i] = info["final_obs"][i]
        return o, r, term, trunc, final

    def snapshot(self):
        """(arrays, meta) of every env's random generator and physics (see
        ``physics_state``); envs in subprocesses cannot be captured mid-episode."""
        arrays, meta = {}, {"num_envs": self.num_envs}
        for i, env in enumerate(self.envs or []):
            physics = physics_state(env)
            arrays.update({f"env{i}/{k}": v for k, v in (physics or {}).items()})
            meta[f"env{i}_rng"], meta[f"env{i}_physics"] = rng_state(env), physics is not None
        meta["action_space_rng"] = self.action_space.np_random.bit_generator.state
        return arrays, meta

    def restore(self, seed, arrays, meta):
        """Bring freshly made envs to a snapshot; returns a mask of the envs whose episode in
        progress was restored (the others start a fresh episode: reset_some)."""
        self.reset(seed=seed)
        if "action_space_rng" in meta:  # (VPG checkpoints from before vector envs lack it)
            self.action_space.np_random.bit_generator.state = meta["action_space_rng"]
        restored = np.zeros(self.num_envs, bool)
        if meta.get("num_envs", 1) != self.num_envs or self.envs is None:
            return restored
        for i, env in enumerate(self.envs):
            set_rng_state(env, meta[f"env{i}_rng"])
            if meta[f"env{i}_physics"]:
                prefix = f"env{i}/"
                set_physics_state(env, {k[len(prefix):]: v for k, v in arrays.items()
                                        if k.startswith(prefix)})
                restored[i] = True
        return restored

    def close(self):
        (self.env if self.num_envs == 1 else self.vec).close()

"""Populations of TD3 seeds trained in ONE process (JAX): ``--seed 0 10 20 --population``.

Each seed keeps its own learner, environment, replay buffer and run folder, exactly as if it
ran alone; the members step their envs in lockstep, and every update block of all members is
ONE jitted call: the learners' states stacked along a leading axis and the single learner's
``update_block`` ``vmap``-ed over it (Flajolet et al. 2022). On a CPU whose cores a single
small agent cannot keep busy, K seeds then cost much less than K runs.
"""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from spinup.algos import registry  # noqa: E402
from spinup.algos.common.checks import InputError  # noqa: E402
from spinup.algos.common.td3 import TD3Member, run_td3_members  # noqa: E402
from spinup.algos.jax.td3.td3 import draw_normal, learner_from_config  # noqa: E402


class TD3Population:
    """The joint update of several TD3Learners with identical hyperparameters. The stacked
    state is the truth during training; after each block every learner gets its slice back,
    so acting, saving and checkpoints work per learner as usual."""

    def __init__(self, learners):
        self.learners = list(learners)
        lead = self.learners[0]
        self.stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *[m.state for m in learners])
        self._update = jax.jit(jax.vmap(lead.update_block))
        self._draw = jax.jit(jax.vmap(draw_normal, in_axes=(0, None, None)),
                             static_argnums=(1, 2))
        self.dtype = lead.dtype

    def update(self, blocks):
        """One block of updates for every member (``blocks``: one dict of minibatches
        ``[n_updates, batch, ...]`` per member); returns one info dict per member."""
        data = {k: np.stack([np.asarray(b[k], self.dtype) for b in blocks]) for k in blocks[0]}
        # Each member's own target-noise key, split exactly as its learner alone would.
        keys, eps = self._draw(self.stacked.key, tuple(data["act"].shape[1:]), self.dtype)
        self.stacked, info = self._update(self.stacked._replace(key=keys), data, eps)
        info = jax.device_get(info)
        out = []
        for i, learner in enumerate(self.learners):
            learner.state = jax.tree.map(lambda x: x[i], self.stacked)
            learner.actor.stale()
            out.append({k: v[i] for k, v in info.items()})
        return out

    def sync(self):
        """Block until queued device work is done."""
        jax.block_until_ready(self.stacked)


def check_population(algo, seeds):
    """A population needs the JAX TD3 learner and at least two distinct seeds."""
    if algo != "td3_jax":
        hint = ("; PyTorch runs seeds as separate processes: drop --population and use "
                "--num_workers N") if algo.endswith("_pytorch") else ""
        raise InputError(f"--population trains seeds together with JAX's vmap and exists for "
                         f"td3_jax only, not {algo}{hint}")
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise InputError(f"--population needs at least two distinct seeds, got "
                         f"{list(seeds)}; e.g. --seed 0 10 20 --population")


def td3_jax_population(env_fn, seeds, output_dirs, **kwargs):
    """Train TD3 (JAX) once per seed in ``seeds``, all in this process with vmapped updates.

    ``output_dirs`` gives each seed's run folder (what ``logger_kwargs['output_dir']`` would
    be for a run alone); ``kwargs`` are any other arguments of ``td3_jax`` (the same for all
    members). Every member writes the run folder its seed alone would write. Returns the
    learners."""
    check_population("td3_jax", list(seeds))
    if len(output_dirs) != len(seeds):
        raise InputError(f"{len(seeds)} seeds but {len(output_dirs)} output folders")
    checked = []  # every member's arguments, before any folder is written
    try:
        for seed, out in zip(seeds, output_dirs):
            env = env_fn()
            checked.append((env, None))
            kw = dict(kwargs, seed=seed, logger_kwargs=dict(
                kwargs.get("logger_kwargs") or {}, output_dir=out))
            checked[-1] = (env, registry.check_args("td3_jax", kw, env))
    except BaseException:
        for env, _ in checked:
            env.close()
        raise
    members = []
    for env, args in checked:
        learner = learner_from_config(args, env)  # every hyperparameter, checked
        members.append(TD3Member("td3_jax", env_fn, env, learner, args))
    population = TD3Population([m.learner for m in members])
    run_td3_members(members, population.update, population.sync)
    return [m.learner for m in members]

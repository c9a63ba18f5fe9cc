"""Populations of seeds trained in ONE process (JAX): ``--seed 0 10 20 --population``, for
every off-policy algorithm with a JAX learner (DDPG, TD3, SAC).

Each seed keeps its own learner, environments, replay buffer and run folder, exactly as if it
ran alone: the population steps the off-policy loop's own parts (``OffPolicyRun``) in
lockstep and replaces only the update. Every update block of all members is ONE jitted call:
the learners' states stacked along a leading axis and the single learner's pure
``update_block`` and ``draw_noise`` ``vmap``-ed over it (Flajolet et al. 2022). On a CPU whose
cores a single small agent cannot keep busy, K seeds then cost much less than K runs.
"""
import os
import os.path as osp

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from spinup.algos import registry  # noqa: E402
from spinup.algos.common.checks import InputError  # noqa: E402
from spinup.algos.common.off_policy import Lockstep, OffPolicyRun, loop  # noqa: E402
from spinup.algos.common.spec import build_learner  # noqa: E402


class Population:
    """The joint update of several JAX off-policy learners of one class with identical
    hyperparameters. The stacked state is the truth during training; after each block every
    learner gets its slice back, so acting, saving and checkpoints work per learner."""

    def __init__(self, learners):
        self.learners = list(learners)
        lead = self.learners[0]
        self.stacked = jax.tree.map(lambda *xs: jnp.stack(xs), *[m.state for m in learners])
        self._update = jax.jit(jax.vmap(lead.update_block))
        # Each member's own key, split exactly as its learner alone would split it.
        self._draw = jax.jit(jax.vmap(lead.draw_noise, in_axes=(0, None, None)),
                             static_argnums=(1, 2))
        self.dtype = lead.dtype
        # Every member's slice of the stacked state in ONE jitted call: slicing leaf by leaf
        # eagerly costs a dispatch per leaf and member (on a GPU, 28 ms per member and block
        # for TD3: at 64 members, 80 times the vmapped block itself).
        k = len(self.learners)
        self._unstack = jax.jit(
            lambda s: [jax.tree.map(lambda x, i=i: x[i], s) for i in range(k)])

    def update(self, blocks):
        """One block of updates for every member (``blocks``: one dict of minibatches
        ``[n_updates, batch, ...]`` per member); returns one info dict per member."""
        data = {k: np.stack([np.asarray(b[k], self.dtype) for b in blocks]) for k in blocks[0]}
        n_updates, batch_size = data["rew"].shape[1:3]
        keys, noise = self._draw(self.stacked.key, n_updates, batch_size)
        self.stacked, info = self._update(self.stacked._replace(key=keys), data, noise)
        info = jax.device_get(info)
        out = []
        for i, (learner, state) in enumerate(zip(self.learners, self._unstack(self.stacked))):
            learner.state = state
            learner.policy.stale()
            out.append({k: v[i] for k, v in info.items()})
        return out

    def sync(self):
        """Block until queued device work is done."""
        jax.block_until_ready(self.stacked)


def check_population(algo, seeds):
    """A population needs a JAX off-policy algorithm and at least two distinct seeds."""
    record, backend = registry.lookup(algo)
    if backend != "jax" or record.spec().family != "off_policy":
        jax_off = [f"{a.name}_jax" for a in registry.ALGOS.values()
                   if a.spec().family == "off_policy"]
        hint = ("; PyTorch runs seeds as separate processes: drop --population and use "
                "--num_workers N") if backend == "pytorch" else ""
        raise InputError(f"--population trains seeds together with JAX's vmap and exists for "
                         f"{', '.join(jax_off)}, not {algo}{hint}")
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise InputError(f"--population needs at least two distinct seeds, got "
                         f"{list(seeds)}; e.g. --seed 0 10 20 --population")


def train_population(algo, env_fn, seeds, output_dirs, **kwargs):
    """Train ``algo`` (e.g. 'sac_jax') once per seed in ``seeds``, all in this process with
    vmapped updates.

    ``output_dirs`` gives each seed's run folder (what ``logger_kwargs['output_dir']`` would
    be for a run alone); ``kwargs`` are any other arguments of the entry point (the same for
    all members). Every member writes the run folder its seed alone would write. Returns the
    learners."""
    algo = registry.resolve(algo)
    check_population(algo, list(seeds))
    if len(output_dirs) != len(seeds):
        raise InputError(f"{len(seeds)} seeds but {len(output_dirs)} output folders")
    spec, learner_cls = registry.spec(algo), registry.learner_class(algo)
    checked = []  # every member's arguments, before any folder is written
    try:
        for seed, out in zip(seeds, output_dirs):
            env = env_fn()
            checked.append((env, None))
            kw = dict(kwargs, seed=seed, logger_kwargs=dict(
                kwargs.get("logger_kwargs") or {}, output_dir=out))
            checked[-1] = (env, registry.check_args(algo, kw, env))
    except BaseException:
        for env, _ in checked:
            env.close()
        raise
    runs = [OffPolicyRun(spec, algo, env_fn, env, build_learner(spec, learner_cls, args, env),
                         args, extra_config=members_config(out, output_dirs))
            for (env, args), out in zip(checked, output_dirs)]
    loop(Lockstep(runs), Population([r.learner for r in runs]))
    return [r.learner for r in runs]


def members_config(out, output_dirs):
    """What a member's config.json records of its population: every member's folder, relative
    to its own (so that the folders can move together), for ``resume``."""
    return {POPULATION_KEY: [osp.relpath(d, out) for d in output_dirs]}


# config.json's entry naming a population's members (absent in a run trained alone).
POPULATION_KEY = "population"


def resume_population(runs):
    """Continue the members ``runs`` (``OffPolicyRun``s built from their checkpoints, all at
    the same epoch) together: the vmapped updates of the population that never stopped."""
    loop(Lockstep(runs), Population([r.learner for r in runs]))
    return [r.learner for r in runs]

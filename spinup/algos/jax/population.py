"""Populations of seeds trained in ONE process with JAX: ``--seed 0 10 20 --population`` for
ddpg_jax, td3_jax and sac_jax (what every backend's population shares, training and resuming
it: spinup/algos/common/population.py).

Every update block of all members is ONE jitted call:
the learners' states stacked along a leading axis and the single learner's pure
``update_block`` and ``draw_noise`` ``vmap``-ed over it (Flajolet et al. 2022). On a CPU whose
cores a single small agent cannot keep busy, K seeds then cost much less than K runs.
"""
import os

os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

from spinup.algos.common.population import (POPULATION_KEY, check_population,  # noqa: E402,F401
                                             members_config, resume_population,
                                             train_population)


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

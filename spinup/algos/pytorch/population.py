"""Populations of seeds trained in ONE process with PyTorch (``torch.func``): ``--seed 0 10 20
--population`` for ddpg_pytorch, td3_pytorch and sac_pytorch, the twin of
spinup/algos/jax/population.py.

Each member keeps its own learner, environments, replay buffer and run folder. For every
block, the members' parameters, targets and Adam states are stacked along a leading axis
(``torch.stack``), each update of the block is ONE ``torch.func.vmap`` of the single learner's
own ``update_one`` over them (compiled with ``--compile default``), and each member gets its
slice back after the block, so acting, saving and checkpoints work per learner. The single
learner's update runs unchanged inside the vmap: ``Optimizing.swapped`` hands it the stacked
tensors' per-member slices in place of its own (``functional_call`` for the modules, the
functional Adam for the optimizer states), and its in-place writes land in the stack.
"""
import numpy as np
import torch
from torch.func import vmap
from torch.utils._pytree import tree_flatten, tree_unflatten


class TorchPopulation:
    """The joint update of several PyTorch off-policy learners of one class with identical
    hyperparameters (``update(blocks)``, ``sync()``: what the loop's Lockstep needs)."""

    def __init__(self, learners):
        self.learners = list(learners)
        lead = self.lead = self.learners[0]
        for m in self.learners:
            m.use_functional_step()  # the step vmap can run (eager Adam cannot)
        self.dtype = np.dtype(str(lead.dtype).replace("torch.", ""))
        # The lead's block (its Python loop over the updates) calls this in place of its own
        # compiled update: every member's update j in one vmapped call.
        one = self._vmapped_one
        self._one = lead.compiled(one) if lead.compile_mode != "none" else one

    def _vmapped_one(self, stacked, *args):
        """``update_one(*args)`` of every member at once; args that are not tensors (a
        policy-step flag, absent noise) are shared."""
        axes = tuple(None if a is None or isinstance(a, (bool, int, float)) else 0 for a in args)
        lead, shape = self.lead, []

        def member(s, *a):
            out = lead.swapped(s, lead.update_one, *a)
            # vmap returns tensors only: an output that is None (no policy step in this
            # update) travels as a placeholder and comes back as None.
            flat, spec = tree_flatten(out, is_leaf=lambda x: x is None)
            shape[:] = [spec, [x is None for x in flat]]
            return [torch.zeros(()) if x is None else x for x in flat]

        res = vmap(member, in_dims=(0, *axes), randomness="error")(stacked, *args)
        spec, holes = shape
        return tree_unflatten([None if h else r for h, r in zip(holes, res)], spec)

    def update(self, blocks):
        """One block of updates for every member (``blocks``: one dict of minibatches
        ``[n_updates, batch, ...]`` per member); returns one info dict per member."""
        lead, k = self.lead, len(self.learners)
        n, batch = np.shape(blocks[0]["rew"])
        # [n, K, batch, ...]: the lead's block loop takes update j as v[j], the members
        # along the axis vmap maps.
        data = {key: lead.to_framework(np.stack([np.asarray(b[key], self.dtype) for b in blocks],
                                                axis=1)) for key in blocks[0]}
        noises = [m.next_noise(n, batch) for m in self.learners]
        noise = None if noises[0] is None else (
            {key: torch.stack([x[key] for x in noises], 1) for key in noises[0]}
            if isinstance(noises[0], dict) else torch.stack(noises, 1))
        with torch.no_grad():
            stacked = [torch.stack(ts) for ts in zip(*(m.mutable_tensors()
                                                        for m in self.learners))]
        own = lead.update_one_c
        lead.update_one_c = lambda *a: self._one(stacked, *a)
        try:
            info = lead.update_block(data, noise)
        finally:
            lead.update_one_c = own
        with torch.no_grad():
            for i, m in enumerate(self.learners):
                for t, s in zip(m.mutable_tensors(), stacked):
                    t.copy_(s[i])
                m.policy.stale()
        info = lead.to_numpy(info)
        return [{key: v[:, i] for key, v in info.items()} for i in range(k)]

    def sync(self):
        """Block until queued device work is done."""
        self.lead.sync()

"""The learner contract: what each backend provides to the shared training loops.

An algorithm exists once as a framework-free loop (``spinup.algos.common.vpg.train_vpg``,
``spinup.algos.common.td3.train_td3``) and once per backend as a *learner*: the networks,
their optimizers and the update, in PyTorch or in JAX. Data crosses the seam as NumPy arrays,
once per call.

Parameters cross it in one canonical naming, the same in both backends and both algorithms:
``'<net>/<layer>/w'`` shaped ``(in, out)``, ``'<net>/<layer>/b'`` shaped ``(out,)``, and
leaves of the net itself such as ``'pi/log_std'``; target networks add ``_targ`` to the net
(``'q1_targ/0/w'``). Nets: VPG ``pi``, ``v``; TD3 ``pi``, ``q1``, ``q2`` and their targets.
Initial parameters are drawn in NumPy (``spinup.algos.common.nets.init_mlp``), so both
backends start from the same networks for the same seed, and a saved policy of one backend
runs in the other.
"""
from typing import Dict, Protocol, runtime_checkable

import numpy as np

Arrays = Dict[str, np.ndarray]


@runtime_checkable
class Learner(Protocol):
    """What both families' learners implement (VPG's add ``step``, ``sample_logp`` and
    ``value``)."""

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """The action for ``obs``: the policy's deterministic action, or with
        ``deterministic=False`` the exploring one (VPG: a sample of pi; TD3: pi plus
        Gaussian ``act_noise``, clipped)."""

    def update(self, data: Arrays) -> dict:
        """One update phase on NumPy data (VPG: an epoch's batch; TD3: a block of
        minibatches shaped ``[n_updates, batch, ...]``); returns the statistics to log."""

    def get_params(self) -> Arrays:
        """Every network's parameters, canonical names, as NumPy arrays."""

    def set_params(self, params: Arrays) -> None:
        """Load canonical parameters (names and shapes must match the networks)."""

    def state_dict(self) -> Arrays:
        """Everything a checkpoint needs to continue training exactly: parameters (with
        targets), optimizer states and random-number-generator states, as a flat dict of
        NumPy arrays."""

    def load_state_dict(self, state: Arrays) -> None:
        """The inverse of ``state_dict``."""

    def sync(self) -> None:
        """Block until queued device work is done (timers call it once per phase)."""

    def save(self, model_dir: str) -> str:
        """Write the trained model into ``model_dir`` atomically; returns the file written."""

    def load(self, model_dir: str) -> "Learner":
        """Read what ``save`` wrote; returns the learner itself."""


def build_from_config(learner_cls, hyperparameters, cfg, env, **kwargs):
    """A fresh ``learner_cls`` with a saved run's networks (``cfg['ac_kwargs']``) and those of
    its ``hyperparameters`` that config.json holds, for ``env``'s spaces."""
    hyper = {k: cfg[k] for k in hyperparameters if k in cfg}
    return learner_cls(env.observation_space, env.action_space, **cfg["ac_kwargs"], **hyper,
                       **kwargs)


def load_trained(read_config, learner_from_config, run_dir, **kwargs):
    """The trained learner of the run folder ``run_dir``: its config read (and env made) with
    ``read_config``, a learner built by ``learner_from_config``, the saved model loaded."""
    import os.path as osp
    cfg, env = read_config(run_dir)
    try:
        learner = learner_from_config(cfg, env, **kwargs)
    finally:
        env.close()
    return learner.load(osp.join(run_dir, "model"))

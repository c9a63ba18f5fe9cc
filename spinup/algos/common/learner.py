"""The learner contract: what each backend provides to the shared training loops.

An algorithm is a spec (``spinup.algos.common.<algo>.SPEC``) run by its family's
framework-free loop (``spinup.algos.common.on_policy.train``, ``...off_policy.train``) and,
once per backend, a *learner*: the networks, their optimizers and the update, in PyTorch or
in JAX. Data crosses the seam as NumPy arrays, once per call.

Parameters cross it in one canonical naming, the same in both backends and every algorithm:
``'<net>/<layer>/w'`` shaped ``(in, out)``, ``'<net>/<layer>/b'`` shaped ``(out,)``, and
leaves of the net itself such as ``'pi/log_std'``; target networks add ``_targ`` to the net
(``'q1_targ/0/w'``). Nets: VPG, PPO and TRPO ``pi``, ``v``; DDPG ``pi``, ``q``; TD3 ``pi``,
``q1``, ``q2``; SAC ``pi``, ``q1``, ``q2`` (and ``alpha`` when learned); the off-policy ones
with their targets (SAC: the critics' only).
Initial parameters are drawn in NumPy (``spinup.algos.common.nets``), so both
backends start from the same networks for the same seed, and a saved policy of one backend
runs in the other.
"""
import os.path as osp
from typing import Dict, Protocol, runtime_checkable

import numpy as np

from spinup.utils.errors import RunFileError
from spinup.utils.serialization_utils import load_npz, save_npz

Arrays = Dict[str, np.ndarray]
WEIGHTS_FILE = "weights.npz"  # in a run's model/: the canonical parameters, with a checksum


@runtime_checkable
class Learner(Protocol):
    """What every learner implements. On-policy learners (VPG, PPO, TRPO) add ``step``,
    ``sample_logp`` and ``value``; off-policy ones (DDPG, TD3, SAC) add ``draw_noise`` and
    ``update_block`` (see their backend's ``off_policy.OffPolicyLearner``)."""

    def act(self, obs: np.ndarray, deterministic: bool = True) -> np.ndarray:
        """The action for ``obs``: the policy's deterministic action, or with
        ``deterministic=False`` the exploring one (VPG: a sample of pi; TD3: pi plus
        Gaussian ``act_noise``, clipped)."""

    def update(self, data: Arrays) -> dict:
        """One update phase on NumPy data (on-policy: an epoch's batch; off-policy: a block
        of minibatches shaped ``[n_updates, batch, ...]``, with the block's random draws made
        by the learner unless given as ``noise``); returns the statistics to log."""

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


class SavesWeights:
    """``save`` and ``load`` of every learner, written once: the model is the canonical
    parameters (``get_params``: every network, targets included) in
    ``<model_dir>/weights.npz``, with its checksum. The file is NumPy's alone: a policy runs
    from it without torch or JAX (``spinup.algos.common.numpy_policy``), in either backend.

    A learner base names the file its backend wrote before (``LEGACY_MODEL_FILE``) and reads
    it in ``_load_legacy(path)``, so that older runs still load."""
    LEGACY_MODEL_FILE = None

    def save(self, model_dir):
        """``<model_dir>/weights.npz``: the canonical parameters, written atomically."""
        return save_npz(osp.join(model_dir, WEIGHTS_FILE), self.get_params())

    def load(self, model_dir):
        """Read what ``save`` wrote (or an older run's model file); the weights must match
        the networks and be finite. Returns the learner."""
        path = osp.join(model_dir, WEIGHTS_FILE)
        legacy = self.LEGACY_MODEL_FILE and osp.join(model_dir, self.LEGACY_MODEL_FILE)
        if not osp.isfile(path) and legacy and osp.isfile(legacy):
            self._load_legacy(legacy)
            check_finite(legacy, self.get_params())
            return self
        params = load_npz(path, "saved model", checksum_required=True)
        check_finite(path, params)
        mismatch = describe_mismatch(params, self.get_params())
        if mismatch:
            raise RunFileError(f"{path}: saved model does not match the networks of the run's "
                               f"config.json ({mismatch})")
        self.set_params(params)
        return self


class LearnerBase(SavesWeights):
    """The framework-free half of every learner: the parameter round trip and its checks, and
    the framing of a checkpoint. A family's base (``common/off_policy_learner.py``,
    ``common/on_policy_learner.py``) adds acting through ``numpy_policy``; a backend's adapter
    (``spinup/algos/{pytorch,jax}/adapter.py``) supplies what is the framework's:

    - ``net_params(net, suffix)``: one net's parameters as canonical NumPy arrays
      (``suffix`` '_targ' for its target copy);
    - ``load_nets(params)``: every net from checked canonical arrays;
    - ``framework_state()`` / ``load_framework_state(state)``: the checkpoint's part that
      is the framework's (parameters, optimizer states, the framework's generator);
    - ``sync()``.

    ``self.policy`` is the family's NumPy mirror of the networks (``numpy_policy.Mirror``),
    marked stale by everything that changes them; ``host_state`` / ``load_host_state`` are
    the family's NumPy generators."""

    NETS = ()         # the online nets, e.g. ('pi', 'q1', 'q2')
    TARGET_NETS = ()  # the nets with a target copy '<net>_targ'

    def get_params(self):
        """Every network's parameters (targets included), canonical names, as NumPy."""
        params = {}
        for net in self.NETS:
            params.update(self.net_params(net))
        for net in self.TARGET_NETS:
            params.update(self.net_params(net, "_targ"))
        return params

    def set_params(self, params):
        """Load canonical parameters (every net, targets included); optimizer states are kept.
        Unknown or missing names (KeyError) and wrong shapes (ValueError) are refused before
        anything changes."""
        check_params(params, self.get_params())
        self.load_nets(params)
        self.policy.stale()

    def state_dict(self):
        """Everything a checkpoint needs to continue exactly, as a flat dict of NumPy arrays:
        the framework's part and the family's NumPy generators."""
        return {**self.framework_state(), **self.host_state()}

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        self.load_framework_state(state)
        self.policy.stale()
        self.load_host_state(state)

    def host_state(self):
        """The family's NumPy generators, for a checkpoint."""
        return {}

    def load_host_state(self, state):
        """The inverse of ``host_state``."""


def describe_mismatch(given, expected):
    """What differs between two sets of canonical parameters, in a few words ('' if
    nothing): the first missing and unknown names, or the first shape that differs."""
    missing = sorted(set(expected) - set(given))
    unknown = sorted(set(given) - set(expected))
    if missing or unknown:
        return "; ".join(f"{len(names)} {what}, e.g. {', '.join(names[:2])}" for names, what
                         in ((missing, "missing"), (unknown, "not in the networks")) if names)
    for name in sorted(expected):
        if np.shape(given[name]) != np.shape(expected[name]):
            return (f"{name} is shaped {np.shape(given[name])}, the networks take "
                    f"{np.shape(expected[name])}")
    return ""


def check_finite(path, params):
    """Weights read from ``path`` must all be finite: a RunFileError names the first that
    is not."""
    for name in sorted(params):
        value = np.asarray(params[name])
        if value.dtype.kind in "fc" and not np.all(np.isfinite(value)):
            raise RunFileError(f"{path}: saved model is damaged ({name} holds values that are "
                               "not finite)")


def check_params(given, expected):
    """Check canonical parameters ``given`` against ``expected`` (the learner's own, anything
    with a shape) before loading them: the names must be exactly the expected ones (KeyError
    naming the missing and the unknown ones) and every shape must match (ValueError naming
    the key, the given and the expected shape)."""
    missing = sorted(set(expected) - set(given))
    unknown = sorted(set(given) - set(expected))
    if missing or unknown:
        raise KeyError(f"parameter names do not match the learner's networks: missing "
                       f"{missing}, unknown {unknown}; expected {sorted(expected)}")
    for name in sorted(expected):
        shape, want = np.shape(given[name]), tuple(np.shape(expected[name]))
        if shape != want:
            raise ValueError(f"{name}: shape {shape}, the network expects {want}")

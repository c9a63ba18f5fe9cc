"""The off-policy family (DDPG, TD3, SAC) in PyTorch: the deterministic actor
``act_limit * tanh(mlp(obs))``, the Q function ``mlp(concat(obs, act))`` and
``OffPolicyLearner``, the family's framework-free base
(``spinup.algos.common.off_policy_learner``: acting, the update wrapper, parameters,
checkpoints) with its PyTorch adapter: building the modules and their targets, tensors,
polyak averaging. An algorithm's learner keeps only its losses and its updates."""
from copy import deepcopy

import torch
import torch.nn as nn

from spinup.algos.common.off_policy_learner import OffPolicyLearnerBase
from spinup.algos.pytorch import nets
from spinup.algos.pytorch.adapter import TorchAdapter
from spinup.utils.errors import RunFileError
from spinup.utils.serialization_utils import load_torch


# ---------------------------------------------------------------------------------------------
# The deterministic actor and the Q function
# ---------------------------------------------------------------------------------------------
class MLPActor(nn.Module):
    """``act_limit * tanh(mlp(obs))``."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation, act_limit):
        super().__init__()
        self.pi = nets.mlp([obs_dim, *hidden_sizes, act_dim], activation, nn.Tanh)
        self.register_buffer("act_limit", torch.as_tensor(act_limit, dtype=torch.float32))

    def forward(self, obs):
        """The deterministic action for ``obs``."""
        return self.act_limit * self.pi(obs)


class MLPQFunction(nn.Module):
    """``Q(obs, act)``, squeezed to ``(batch,)``."""

    def __init__(self, obs_dim, act_dim, hidden_sizes, activation):
        super().__init__()
        self.q = nets.mlp([obs_dim + act_dim, *hidden_sizes, 1], activation)

    def forward(self, obs, act):
        """Q(obs, act) per sample."""
        return torch.squeeze(self.q(torch.cat([obs, act], dim=-1)), -1)


# ---------------------------------------------------------------------------------------------
# The family's learner: the common base and its PyTorch adapter
# ---------------------------------------------------------------------------------------------
class OffPolicyLearner(TorchAdapter, OffPolicyLearnerBase):
    """Online networks ``self.ac`` (one submodule per net of ``NETS``), target copies
    ``self.ac_targ`` of the nets of ``TARGET_NETS``, their optimizers, and what PyTorch does
    around the update.

    A subclass sets ``NETS`` and ``TARGET_NETS``; its ``__init__`` calls
    ``super().__init__``, sets its hyperparameters (``polyak``, and ``act_noise`` for a
    deterministic actor), calls ``build_networks`` with its actor-critic module and initial
    canonical parameters, then makes its optimizers and lists them in ``self.optimizers``
    (``{'pi': ..., 'q': ...}``: checkpointed as 'pi_opt/...', saved as 'pi_optimizer'). It
    defines ``draw_noise(n_updates, batch_size)``, ``update_one(...)`` (one update, its
    optimizer steps through ``optimize``), ``update_block(data, noise)`` (calling
    ``update_one_c`` per update), ends its ``__init__`` with ``compile_updates(compile)``
    and, for the parity tests, defines ``diagnose``."""

    def __init__(self, obs_space, act_space, activation, seed, dtype, device):
        self.setup_torch(dtype, device)
        super().__init__(obs_space, act_space, activation, seed, dtype)
        self.act_limit = torch.as_tensor(self.act_limit_np, dtype=self.dtype, device=self.device)
        self.gen = torch.Generator(device=self.device).manual_seed(seed)  # the updates' noise

    def build_networks(self, make_ac, params):
        """Build the online networks with ``make_ac()``, add frozen target copies of the
        TARGET_NETS and load the canonical ``params`` into both."""
        # nn.Linear's default init (overwritten by the canonical parameters) draws from
        # torch's global generator: build in a fork of it, so that it is left as it was.
        with torch.random.fork_rng(devices=[]):
            ac = make_ac()
        self.ac = ac.to(device=self.device, dtype=self.dtype)
        self.ac_targ = nn.ModuleDict({net: deepcopy(getattr(self.ac, net))
                                      for net in self.TARGET_NETS})
        self.ac_targ.requires_grad_(False)  # changed by polyak averaging only
        self.set_params(params)

    # --- What each algorithm defines -------------------------------------------------------

    def draw_noise(self, n_updates, batch_size):
        """The random numbers a block of ``n_updates`` updates on minibatches of
        ``batch_size`` needs (tensors, or None), drawn from ``self.gen``."""
        raise NotImplementedError

    def update_block(self, data, noise):
        """A block of updates on tensors ``[n, batch, ...]``; returns tensors to log."""
        raise NotImplementedError

    # --- The update wrapper's framework half -----------------------------------------------

    def to_framework(self, x):
        """A tensor, or a dict of them, from NumPy; None stays None."""
        if x is None:
            return None
        if isinstance(x, dict):
            return {k: self._tensor(v) for k, v in x.items()}
        return self._tensor(x)

    def next_noise(self, n_updates, batch_size):
        return self.draw_noise(n_updates, batch_size)

    def compile_updates(self, mode):
        """Once the optimizers exist: run the updates in compile ``mode`` (checked): each
        update ``update_one`` as ``update_one_c`` (compiled, one graph per kind of update),
        and in mode 'cudagraphs' the whole block replayed from one CUDA graph."""
        self.setup_compile(mode)
        self.update_one_c = self.compiled(self.update_one)
        self._block = self.graphed(self.update_block)

    def run_block(self, data, noise):
        return self._block(data, noise)

    def to_numpy(self, info):
        return {k: v.cpu().numpy() for k, v in info.items()}

    @torch.no_grad()
    def update_targets(self):
        """Polyak averaging of the target networks."""
        # targ <- polyak * targ + (1 - polyak) * online: the target moves slowly.
        for net in self.TARGET_NETS:
            for p, p_targ in zip(getattr(self.ac, net).parameters(),
                                 getattr(self.ac_targ, net).parameters()):
                p_targ.mul_(self.polyak).add_(p, alpha=1 - self.polyak)

    # --- Inspection (parity tests) ---------------------------------------------------------

    def gradients(self, loss, net_names):
        """The gradients of ``loss`` with respect to the nets ``net_names``, canonical names
        prefixed 'grad/' ('grad/q1/0/w', ...), as NumPy arrays."""
        items = [it for net in net_names for it in nets.canonical_items(getattr(self.ac, net), net)]
        grads = torch.autograd.grad(loss, [p for _, p in items])
        return {"grad/" + n: (g.T if n.endswith("/w") else g).cpu().numpy()
                for (n, _), g in zip(items, grads)}

    # --- Older runs ------------------------------------------------------------------------

    def _load_legacy(self, path):
        """An older run's ``model.pt`` (``weights_only``): state_dicts of the networks,
        targets, optimizers and the generator of the updates' noise."""
        state = load_torch(path, self.device, "saved model")
        try:
            self.ac.load_state_dict(state["ac"])
            self.ac_targ.load_state_dict(state["ac_targ"])
            for name, opt in self.optimizers.items():
                opt.load_state_dict(state[f"{name}_optimizer"])
            self.gen.set_state(state["gen"].cpu())
        except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        finally:
            self.policy.stale()  # a failed load may have changed some of the weights
            self.link_optimizer_state()
        return self

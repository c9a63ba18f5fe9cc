"""What the off-policy learners (DDPG, TD3, SAC) share in PyTorch: the deterministic actor
``act_limit * tanh(mlp(obs))``, the Q function ``mlp(concat(obs, act))`` and the base class
``OffPolicyLearner`` (parameters, checkpoints, saving, the update wrapper, polyak averaging
and, for a deterministic actor, acting with Gaussian exploration noise). An algorithm's
learner keeps only its losses and its updates: one step, and a block of them."""
from contextlib import contextmanager
from copy import deepcopy

import numpy as np
import torch
import torch.nn as nn

from spinup.algos.common.exploration import add_exploration_noise, noise_rng
from spinup.algos.common.learner import SavesWeights, check_params
from spinup.algos.common.numpy_policy import DeterministicActor, Mirror
from spinup.algos.pytorch import nets
from spinup.utils.errors import RunFileError
from spinup.utils.serialization_utils import generator_state, load_torch, set_generator_state

DTYPES = dict(float32=torch.float32, float64=torch.float64)


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


@contextmanager
def frozen(params):
    """``params`` left out of autograd inside the block: the policy step neither computes nor
    accumulates gradients for the critics."""
    for p in params:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p in params:
            p.requires_grad_(True)


# ---------------------------------------------------------------------------------------------
# The base learner
# ---------------------------------------------------------------------------------------------
class OffPolicyLearner(SavesWeights):
    """Online networks ``self.ac`` (one submodule per net of ``NETS``), target copies
    ``self.ac_targ`` of the nets of ``TARGET_NETS``, their optimizers, and everything around
    the update that does not depend on the algorithm.

    A subclass sets ``NETS`` and ``TARGET_NETS``; its ``__init__`` calls
    ``super().__init__``, sets its hyperparameters (``polyak``, and ``act_noise`` for a
    deterministic actor), calls ``build_networks`` with its actor-critic module and initial
    canonical parameters, then makes its optimizers and lists them in ``self.optimizers``
    (``{'pi': ..., 'q': ...}``: checkpointed as 'pi_opt/...', saved as 'pi_optimizer'). It
    defines ``draw_noise(n_updates, batch_size)``, ``update_block(data, noise)`` and, for the
    parity tests, ``diagnose``. A stochastic actor overrides ``act`` and ``numpy_actor``."""

    NETS = ()         # the online nets, e.g. ('pi', 'q1', 'q2')
    TARGET_NETS = ()  # the nets with a target copy '<net>_targ'

    def __init__(self, obs_space, act_space, activation, seed, dtype, device):
        self.obs_dim, self.act_dim = obs_space.shape[0], act_space.shape[0]
        self.device, self.dtype = nets.resolve_device(device), DTYPES[dtype]
        self.np_dtype, self.activation = np.dtype(dtype), activation
        self.act_limit_np = np.asarray(act_space.high, dtype=np.float32)
        self.act_limit = torch.as_tensor(self.act_limit_np, dtype=self.dtype, device=self.device)
        self.gen = torch.Generator(device=self.device).manual_seed(seed)  # the updates' noise
        self.noise_rng = noise_rng(seed)  # exploration noise (NumPy: the same in both backends)
        self.optimizers = {}
        # Acting runs in NumPy on a copy of the actor: a module call per env step would cost
        # several times the forward pass. Whatever changes the actor marks the copy stale.
        self.actor = Mirror(self.numpy_actor)

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

    # --- A block of updates ----------------------------------------------------------------

    def update(self, batches, noise=None):
        """Run ``n`` updates on ``batches`` (arrays ``[n, batch, ...]``) as one block.
        ``noise``: what ``draw_noise`` would give, drawn here if None. Returns the block's
        statistics as NumPy arrays."""
        data = {k: self._tensor(v) for k, v in batches.items()}
        n, batch = data["rew"].shape
        noise = self.draw_noise(n, batch) if noise is None else self._tensors(noise)
        info = self.update_block(data, noise)
        self.actor.stale()
        return {k: v.cpu().numpy() for k, v in info.items()}

    @torch.no_grad()
    def update_targets(self):
        """Polyak averaging of the target networks."""
        # targ <- polyak * targ + (1 - polyak) * online: the target moves slowly.
        for net in self.TARGET_NETS:
            for p, p_targ in zip(getattr(self.ac, net).parameters(),
                                 getattr(self.ac_targ, net).parameters()):
                p_targ.mul_(self.polyak).add_(p, alpha=1 - self.polyak)

    # --- Acting ----------------------------------------------------------------------------

    def act(self, obs, deterministic=True):
        """``pi(obs)`` (one observation or a batch) as NumPy, computed in NumPy; with
        ``deterministic=False`` plus Gaussian exploration noise of std ``act_noise``,
        clipped to the action limits."""
        a = self.actor.get()(np.asarray(obs, dtype=self.np_dtype))
        if deterministic:
            return a
        return add_exploration_noise(a, self.act_noise, self.act_limit_np, self.noise_rng)

    def numpy_actor(self):
        """The actor in NumPy, from the current parameters (what ``act`` runs)."""
        return DeterministicActor(nets.to_canonical(self.ac.pi, "pi"), self.activation,
                                  self.act_limit_np)

    # --- Inspection (parity tests) ---------------------------------------------------------

    def gradients(self, loss, net_names):
        """The gradients of ``loss`` with respect to the nets ``net_names``, canonical names
        prefixed 'grad/' ('grad/q1/0/w', ...), as NumPy arrays."""
        items = [it for net in net_names for it in nets.canonical_items(getattr(self.ac, net), net)]
        grads = torch.autograd.grad(loss, [p for _, p in items])
        return {"grad/" + n: (g.T if n.endswith("/w") else g).cpu().numpy()
                for (n, _), g in zip(items, grads)}

    # --- Parameters, checkpoints, saving ---------------------------------------------------

    def get_params(self):
        """Online and target networks as canonical NumPy arrays ('pi/0/w', 'q1_targ/1/b'...)."""
        params = {}
        for net in self.NETS:
            params.update(nets.to_canonical(getattr(self.ac, net), net))
        for net in self.TARGET_NETS:
            params.update(nets.to_canonical(getattr(self.ac_targ, net), net, "_targ"))
        return params

    def set_params(self, params):
        """Load canonical parameters (online and target nets; names and shapes must match);
        optimizer states are kept."""
        check_params(params, self.get_params())
        for net in self.NETS:
            nets.from_canonical(params, getattr(self.ac, net), net)
        for net in self.TARGET_NETS:
            nets.from_canonical(params, getattr(self.ac_targ, net), net, "_targ")
        self.actor.stale()

    def state_dict(self):
        """Parameters with targets, the optimizers' states, the generator of the updates'
        noise and the exploration-noise stream."""
        state = {f"params/{k}": v for k, v in self.get_params().items()}
        for name, opt in self.optimizers.items():
            state.update(nets.optimizer_state(opt, f"{name}_opt"))
        state["rng/gen"] = self.gen.get_state().cpu().numpy()
        state["rng/noise"] = generator_state(self.noise_rng)
        return state

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        self.set_params({k[7:]: v for k, v in state.items() if k.startswith("params/")})
        for name, opt in self.optimizers.items():
            nets.load_optimizer_state(opt, state, f"{name}_opt", self.device)
        self.gen.set_state(torch.as_tensor(state["rng/gen"], dtype=torch.uint8))
        set_generator_state(self.noise_rng, state["rng/noise"])

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    # save, load: SavesWeights (model/weights.npz). Runs before format 2 saved model.pt.
    LEGACY_MODEL_FILE = "model.pt"

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
            self.actor.stale()  # a failed load may have changed some of the weights
        return self

    def _tensor(self, x):
        return torch.as_tensor(np.asarray(x), dtype=self.dtype, device=self.device)

    def _tensors(self, x):
        """A tensor, or a dict of them, from NumPy; None stays None."""
        if x is None:
            return None
        if isinstance(x, dict):
            return {k: self._tensor(v) for k, v in x.items()}
        return self._tensor(x)

"""Vanilla Policy Gradient in PyTorch: the learner and the entry point. The loop, the buffer
and the checks are shared with the JAX backend (spinup.algos.common.vpg)."""
import os.path as osp

import numpy as np
import torch

from spinup.algos.common.learner import build_from_config, load_trained
from spinup.algos.common.envs import space_kind
from spinup.algos.common.numpy_policy import Mirror, VPGActorCritic
from spinup.algos.common.vpg import (VPG_UPDATE_KEYS, check_vpg_args, init_vpg_params,
                                     read_vpg_config, train_vpg)
from spinup.algos.pytorch import nets
from spinup.algos.pytorch.vpg import core
from spinup.utils.errors import RunFileError
from spinup.utils.serialization_utils import load_torch, save_torch

MODEL_FILE = "model.pt"
# The learner arguments config.json records beside ac_kwargs.
HYPERPARAMETERS = ("pi_lr", "vf_lr", "train_v_iters", "seed")
NETS = ("pi", "v")


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, data):
    """Policy-gradient surrogate -(logp * adv).mean(); also the log-probs and the entropy
    (averaged over samples and action dimensions, as SpinningUp logs it)."""
    pi, logp = ac.pi(data["obs"], data["act"])
    loss_pi = -(logp * data["adv"]).mean()
    return loss_pi, logp, pi.entropy().mean()


def compute_loss_v(ac, data):
    """Mean squared error of V(obs) against the rewards-to-go."""
    return ((ac.v(data["obs"]) - data["ret"]) ** 2).mean()


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class VPGLearner:
    """The actor-critic, its two Adam optimizers, and VPG's update."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh",
                 pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, seed=0, dtype="float32",
                 device=None):
        self.device = nets.resolve_device(device)
        self.np_dtype = np.dtype(dtype)  # float64 for parity tests
        self.dtype = getattr(torch, self.np_dtype.name)
        self.discrete = space_kind(act_space) == "discrete"
        self.act_shape = () if self.discrete else act_space.shape
        self.train_v_iters, self.activation = train_v_iters, activation
        torch.manual_seed(seed)  # action sampling draws from torch's global generator
        self.ac = core.MLPActorCritic(obs_space, act_space, hidden_sizes, activation)
        self.ac.to(self.device, self.dtype)
        # Acting runs in NumPy on a copy of the networks (a module call per env step would
        # cost several times the forward pass); whatever changes them marks the copy stale.
        # Sampling still draws from torch's generator: the numbers .sample() would draw.
        self.actor_critic = Mirror(self.numpy_actor_critic)
        self.set_params(init_vpg_params(obs_space, act_space, hidden_sizes, seed))
        self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
        self.vf_optimizer = torch.optim.Adam(self.ac.v.parameters(), lr=vf_lr)

    # -- acting ----------------------------------------------------------------------------
    def step(self, obs):
        """Sample a ~ pi(.|obs); return (a, V(obs), logp(a)) as NumPy (with a leading N for a
        batch of observations ``[N, obs_dim]``), computed in NumPy."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        a, v, logp = ac.step(obs, self._noise(ac.noise_shape(obs)))
        return self._action(a), v, logp

    def sample_logp(self, obs):
        """``step`` without V(obs): (a, logp(a)), from the same draw of the noise stream. The
        training loop takes this one and computes the values of a whole path at once."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        a, logp = ac.sample_logp(obs, self._noise(ac.noise_shape(obs)))
        return self._action(a), logp

    def value(self, obs):
        """V(obs) as NumPy."""
        return np.asarray(self.actor_critic.get().value(self._obs(obs)))

    def act(self, obs, deterministic=True):
        """The action for ``obs``: the mean (Box) or the most likely action (Discrete) when
        ``deterministic``, else a sample."""
        obs, ac = self._obs(obs), self.actor_critic.get()
        noise = None if deterministic else self._noise(ac.noise_shape(obs))
        return self._action(ac.act(obs, noise))

    def numpy_actor_critic(self):
        """The actor and critic in NumPy, from the current parameters (what acting runs)."""
        return VPGActorCritic(self.get_params(), self.activation, self.discrete)

    def _noise(self, shape):
        """The draws of one ``.sample()`` of shape ``shape``, from torch's generator."""
        return self.ac.pi.noise(shape, self.dtype, self.device).cpu().numpy()

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """One policy step, then train_v_iters value steps, on the whole batch."""
        data = self._tensors(batch)
        loss_pi, _, ent = compute_loss_pi(self.ac, data)
        self.pi_optimizer.zero_grad()
        loss_pi.backward()
        self.pi_optimizer.step()
        with torch.no_grad():
            # Measured after the step (SpinningUp measures before, where both are ~0).
            loss_pi_new, logp_new, _ = compute_loss_pi(self.ac, data)
            kl = (data["logp"] - logp_new).mean()

        for i in range(self.train_v_iters):
            loss_v = compute_loss_v(self.ac, data)
            if i == 0:
                loss_v_old = loss_v.detach()
            self.vf_optimizer.zero_grad()
            loss_v.backward()
            self.vf_optimizer.step()
        with torch.no_grad():
            loss_v_new = compute_loss_v(self.ac, data)

        stats = torch.stack([loss_pi.detach(), loss_v_old, loss_pi_new - loss_pi.detach(),
                             loss_v_new - loss_v_old, ent.detach(), kl])
        self.actor_critic.stale()
        return dict(zip(VPG_UPDATE_KEYS, stats.cpu().tolist()))

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses at the current parameters, and
        the gradients of the two losses (canonical names), without changing anything."""
        data = self._tensors(batch)
        self.ac.zero_grad()
        loss_pi, logp, ent = compute_loss_pi(self.ac, data)
        loss_v = compute_loss_v(self.ac, data)
        (loss_pi + loss_v).backward()  # disjoint parameters, so the gradients stay apart
        grads = {k: v for net in NETS
                 for k, v in nets.to_canonical(getattr(self.ac, net), net, grad=True).items()}
        self.ac.zero_grad()
        return dict(logp=logp.detach().cpu().numpy(), Entropy=ent.item(),
                    LossPi=loss_pi.item(), LossV=loss_v.item()), grads

    # -- parameters, checkpoints, saving ---------------------------------------------------
    def get_params(self):
        """Actor and critic as canonical NumPy arrays ('pi/0/w', 'pi/log_std', 'v/0/w'...)."""
        return {k: v for net in NETS
                for k, v in nets.to_canonical(getattr(self.ac, net), net).items()}

    def set_params(self, params):
        """Load canonical parameters (names and shapes must match); optimizer states are kept."""
        expected = self.get_params()
        if set(params) != set(expected):
            raise KeyError(f"parameter names {sorted(params)} do not match the network's "
                           f"{sorted(expected)}")
        for net in NETS:
            nets.from_canonical(params, getattr(self.ac, net), net)
        self.actor_critic.stale()

    def state_dict(self):
        """Parameters, both optimizers' states and torch's global RNG (action sampling)."""
        state = {f"params/{k}": v for k, v in self.get_params().items()}
        state.update(nets.optimizer_state(self.pi_optimizer, "pi_opt"))
        state.update(nets.optimizer_state(self.vf_optimizer, "vf_opt"))
        state["rng/torch"] = torch.get_rng_state().numpy()
        return state

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        self.set_params({k[7:]: v for k, v in state.items() if k.startswith("params/")})
        nets.load_optimizer_state(self.pi_optimizer, state, "pi_opt", self.device)
        nets.load_optimizer_state(self.vf_optimizer, state, "vf_opt", self.device)
        torch.set_rng_state(torch.as_tensor(state["rng/torch"], dtype=torch.uint8))

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def save(self, model_dir):
        """``<model_dir>/model.pt``: the actor-critic's state_dict, written atomically."""
        return save_torch(osp.join(model_dir, MODEL_FILE), self.ac.state_dict())

    def load(self, model_dir):
        """Read what ``save`` wrote (``weights_only``); returns the learner."""
        path = osp.join(model_dir, MODEL_FILE)
        try:
            self.ac.load_state_dict(load_torch(path, self.device, "saved model"))
        except (RuntimeError, KeyError, TypeError, AttributeError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        finally:
            self.actor_critic.stale()  # a failed load may have changed some of the weights
        return self

    # -- conversions -----------------------------------------------------------------------
    def _obs(self, obs):
        return np.asarray(obs, dtype=self.np_dtype)

    def _action(self, a):
        if self.discrete:
            return np.asarray(a, dtype=np.int64)
        return a.reshape(*a.shape[:-1], *self.act_shape)

    def _tensors(self, batch):
        return {k: torch.as_tensor(v, device=self.device,
                                   dtype=self.dtype if v.dtype.kind == "f" else None)
                for k, v in batch.items()}


def learner_from_config(cfg, env, device=None):
    """A fresh learner built with a saved run's networks and hyperparameters (its config.json
    and env), before any training."""
    return build_from_config(VPGLearner, HYPERPARAMETERS, cfg, env, device=device)


def load(run_dir, device=None):
    """The trained learner of a saved run: ``load(run_dir).act(obs, deterministic=True)``."""
    return load_trained(read_vpg_config, learner_from_config, run_dir, device=device)


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
def vpg_pytorch(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=50, gamma=0.99,
                pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, lam=0.97, max_ep_len=1000,
                logger_kwargs=dict(), save_freq=10, num_envs=1, async_envs=False,
                profile="none", profile_warmup=1, device=None):
    """
    Vanilla Policy Gradient (with GAE-Lambda advantage estimation).

    Each epoch collects ``steps_per_epoch`` steps with the current stochastic policy, takes ONE
    full-batch Adam step on the policy loss ``-(logp(a|s) * adv).mean()``, then
    ``train_v_iters`` full-batch Adam steps on the value loss ``((V(s) - ret)**2).mean()``.

    Args:
        env_fn : A function which creates a copy of the environment (gymnasium API), e.g.
            ``spinup.algos.common.envs.EnvFn('HalfCheetah-v4')``. Observations must be a flat
            Box; actions a Box (Gaussian policy) or Discrete (categorical policy).

        ac_kwargs (dict): Network shape for the actor and the critic:
            ``hidden_sizes`` (list of positive ints, default (64,64)) and ``activation``
            (a name such as 'tanh' or 'relu', or a framework activation; default 'tanh').
            The Gaussian actor has a state-independent ``log_std`` initialised to -0.5.

        seed (int): Seed for the initial weights (drawn with NumPy, so both backends start
            from the same networks), the sampling of actions, and the environment.

        steps_per_epoch (int): Number of steps of interaction (state-action pairs) between
            the agent and the environment in each epoch, i.e. the batch of one update.

        epochs (int): Number of epochs (policy updates) to run.

        gamma (float): Discount factor, in [0, 1].

        pi_lr (float): Learning rate for the policy optimizer (Adam).

        vf_lr (float): Learning rate for the value function optimizer (Adam).

        train_v_iters (int): Number of gradient steps on the value function per epoch.

        lam (float): Lambda for GAE-Lambda, in [0, 1].

        max_ep_len (int): Maximum length of an episode; longer ones are cut and bootstrapped
            with V(s_last), as are episodes the environment truncates itself.

        logger_kwargs (dict): Keyword args for EpochLogger (output_dir, exp_name, ...).

        save_freq (int): How often (in epochs) to save the model into
            ``<output_dir>/model/``; it is also saved after the last epoch.

        num_envs (int): Number of copies of the environment stepped together, with one
            batched policy call per step (gymnasium's vector API when > 1). Each step of the
            loop is then num_envs interactions; steps_per_epoch must be a multiple of it.
            1 (default) is the plain environment.

        async_envs (bool): Step the num_envs environments in subprocesses
            (AsyncVectorEnv) rather than in this process (SyncVectorEnv). Pays off when an
            env step costs much more than the inter-process round trip.

        profile (str): 'none', 'update' (cProfile the update calls) or 'epoch' (cProfile
            whole epochs). The profile lands in ``<output_dir>/profile/<mode>.prof``.

        profile_warmup (int): Number of epochs to run before profiling starts, so that
            compilation and warm-up stay out of the profile. Must be < epochs.

        device (str): PyTorch device: 'cpu', 'cuda' or 'cuda:N'; None picks 'cuda' when it
            is available, else 'cpu'.

    Logs per epoch: Epoch, EpRet (avg/std/min/max), EpLen, VVals (avg/std/min/max),
    TotalEnvInteracts, LossPi, LossV (both before the update), DeltaLossPi, DeltaLossV
    (after minus before), Entropy (before; per action dimension for a Box, as
    SpinningUp), KL (between the policy that collected the data and
    the policy after its step), TimeEnv, TimeAct, TimeUpdate, TimeTest, TimeEpoch (seconds
    this epoch) and Time (seconds since the start).

    Returns the learner, whose ``act(obs, deterministic=True)`` runs the trained policy.
    """
    env = env_fn()
    try:
        args = check_vpg_args(env, dict(
            ac_kwargs=ac_kwargs, seed=seed, steps_per_epoch=steps_per_epoch, epochs=epochs,
            gamma=gamma, pi_lr=pi_lr, vf_lr=vf_lr, train_v_iters=train_v_iters, lam=lam,
            max_ep_len=max_ep_len, logger_kwargs=logger_kwargs, save_freq=save_freq,
            num_envs=num_envs, async_envs=async_envs, profile=profile,
            profile_warmup=profile_warmup, device=device))
        learner = VPGLearner(env.observation_space, env.action_space,
                             hidden_sizes=args["ac_kwargs"]["hidden_sizes"],
                             activation=args["ac_kwargs"]["activation"], pi_lr=args["pi_lr"],
                             vf_lr=args["vf_lr"], train_v_iters=args["train_v_iters"],
                             seed=args["seed"], device=args["device"])
    except BaseException:
        env.close()
        raise
    return train_vpg("vpg_pytorch", env_fn, env, learner, args)

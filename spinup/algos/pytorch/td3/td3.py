"""TD3 (Fujimoto et al. 2018) in PyTorch: the learner and the entry point. The loop, the
replay buffer, the exploration noise and the checks are shared with the JAX backend
(spinup.algos.common.td3)."""
import os.path as osp
from copy import deepcopy
from itertools import chain

import numpy as np
import torch

from spinup.algos.common.learner import build_from_config, load_trained
from spinup.algos.common.numpy_policy import Mirror, TD3Actor
from spinup.algos.common.td3 import (add_exploration_noise, check_td3_args, init_td3_params,
                                     noise_rng, read_td3_config, train_td3)
from spinup.algos.pytorch import nets
from spinup.algos.pytorch.td3 import core
from spinup.utils.errors import RunFileError
from spinup.utils.serialization_utils import (generator_state, load_torch, save_torch,
                                              set_generator_state)

MODEL_FILE = "model.pt"
# The learner arguments config.json records beside ac_kwargs.
HYPERPARAMETERS = ("gamma", "polyak", "pi_lr", "q_lr", "act_noise", "target_noise",
                  "noise_clip", "policy_delay", "seed")
NETS = ("pi", "q1", "q2")
DTYPES = dict(float32=torch.float32, float64=torch.float64)


class TD3Learner:
    """Actor, twin critics, their targets and optimizers. ``update`` runs one block of
    updates on minibatches shaped ``[n_updates, batch, ...]``."""

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu",
                 gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3, act_noise=0.1,
                 target_noise=0.2, noise_clip=0.5, policy_delay=2, seed=0, dtype="float32",
                 device=None):
        obs_dim, act_dim = obs_space.shape[0], act_space.shape[0]
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.act_noise, self.target_noise, self.noise_clip = act_noise, target_noise, noise_clip
        self.device, self.dtype = nets.resolve_device(device), DTYPES[dtype]
        self.np_dtype, self.activation = np.dtype(dtype), activation
        self.act_limit_np = np.asarray(act_space.high, dtype=np.float32)
        self.act_limit = torch.as_tensor(self.act_limit_np, dtype=self.dtype, device=self.device)
        self.ac = core.MLPActorCritic(obs_dim, act_dim, self.act_limit_np, hidden_sizes,
                                      activation)
        self.ac.to(device=self.device, dtype=self.dtype)
        self.ac_targ = deepcopy(self.ac)
        for p in self.ac_targ.parameters():
            p.requires_grad_(False)
        # Acting runs in NumPy on a copy of the actor: a module call per env step would cost
        # several times the forward pass. Whatever changes the actor marks the copy stale.
        self.actor = Mirror(self.numpy_actor)
        self.set_params(init_td3_params(obs_dim, act_dim, hidden_sizes, seed))
        # A list, not an iterator: it is walked again at every policy step to freeze Q.
        self.q_params = list(chain(self.ac.q1.parameters(), self.ac.q2.parameters()))
        self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
        self.q_optimizer = torch.optim.Adam(self.q_params, lr=q_lr)
        self.gen = torch.Generator(device=self.device).manual_seed(seed)  # target noise
        self.noise_rng = noise_rng(seed)  # exploration noise (NumPy: the same in both backends)

    # --- TD3's losses ----------------------------------------------------------------------

    @torch.no_grad()
    def compute_targets(self, data, eps):
        """Bellman backup with target policy smoothing and clipped double-Q. ``eps`` holds
        standard-normal draws, one per sample and action dimension."""
        pi_targ = self.ac_targ.pi(data["obs2"])
        epsilon = torch.clamp(self.target_noise * eps, -self.noise_clip, self.noise_clip)
        a2 = torch.clamp(pi_targ + epsilon, -self.act_limit, self.act_limit)
        q1_pi_targ = self.ac_targ.q1(data["obs2"], a2)
        q2_pi_targ = self.ac_targ.q2(data["obs2"], a2)
        q_pi_targ = torch.min(q1_pi_targ, q2_pi_targ)
        return data["rew"] + self.gamma * (1 - data["done"]) * q_pi_targ

    def compute_loss_q(self, data, eps):
        """MSE of Q1 and Q2 against the (constant) backup; also Q1, Q2 for logging."""
        q1 = self.ac.q1(data["obs"], data["act"])
        q2 = self.ac.q2(data["obs"], data["act"])
        backup = self.compute_targets(data, eps)
        loss_q = ((q1 - backup) ** 2).mean() + ((q2 - backup) ** 2).mean()
        return loss_q, (q1.detach(), q2.detach())

    def compute_loss_pi(self, data):
        """-Q1(s, pi(s)).mean()."""
        q1_pi = self.ac.q1(data["obs"], self.ac.pi(data["obs"]))
        return -q1_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, data, eps):
        """One Adam step on both critics."""
        self.q_optimizer.zero_grad()
        loss_q, (q1, q2) = self.compute_loss_q(data, eps)
        loss_q.backward()
        self.q_optimizer.step()
        return loss_q.detach(), q1, q2

    def update_pi(self, data):
        """One Adam step on the actor, the critics frozen."""
        # Freeze Q so the policy step neither computes nor accumulates gradients for it.
        for p in self.q_params:
            p.requires_grad_(False)
        self.pi_optimizer.zero_grad()
        loss_pi = self.compute_loss_pi(data)
        loss_pi.backward()
        self.pi_optimizer.step()
        for p in self.q_params:
            p.requires_grad_(True)
        return loss_pi.detach()

    @torch.no_grad()
    def update_targets(self):
        """Polyak averaging of all target networks."""
        # targ <- polyak * targ + (1 - polyak) * online: the target moves slowly.
        for p, p_targ in zip(self.ac.parameters(), self.ac_targ.parameters()):
            p_targ.mul_(self.polyak).add_(p, alpha=1 - self.polyak)

    def update_one(self, j, data, eps):
        """Update j of a block: a Q step; when j % policy_delay == 0 also a policy step and
        the polyak update of all target networks."""
        loss_q, q1, q2 = self.update_q(data, eps)
        loss_pi = None
        if j % self.policy_delay == 0:
            loss_pi = self.update_pi(data)
            self.update_targets()
        return loss_q, q1, q2, loss_pi

    def update(self, batches, eps=None):
        """Run ``n`` updates on ``batches`` (arrays ``[n, batch, ...]``). ``eps``: optional
        standard-normal target-noise draws ``[n, batch, act_dim]``, drawn here if None.
        Returns LossQ ``[n]``, LossPi ``[ceil(n / policy_delay)]``, Q1Vals/Q2Vals
        ``[n, batch]`` as NumPy arrays."""
        data = {k: self._tensor(v) for k, v in batches.items()}
        eps = self.sample_eps(data["act"].shape) if eps is None else self._tensor(eps)
        out = [self.update_one(j, {k: v[j] for k, v in data.items()}, eps[j])
               for j in range(data["rew"].shape[0])]
        loss_q, q1, q2, loss_pi = zip(*out)
        loss_pi = [loss for loss in loss_pi if loss is not None]  # policy steps only
        info = dict(LossQ=torch.stack(loss_q), LossPi=torch.stack(loss_pi),
                    Q1Vals=torch.stack(q1), Q2Vals=torch.stack(q2))
        self.actor.stale()
        return {k: v.cpu().numpy() for k, v in info.items()}

    def sample_eps(self, shape):
        """Fresh standard-normal target-noise draws for a block (independent per update,
        sample and action dimension)."""
        return torch.randn(tuple(shape), generator=self.gen, dtype=self.dtype, device=self.device)

    # --- Acting ----------------------------------------------------------------------------

    def act(self, obs, deterministic=True):
        """``pi(obs)`` (one observation or a batch) as NumPy, computed in NumPy; with
        ``deterministic=False`` plus TD3's exploration noise."""
        a = self.actor.get()(np.asarray(obs, dtype=self.np_dtype))
        if deterministic:
            return a
        return add_exploration_noise(a, self.act_noise, self.act_limit_np, self.noise_rng)

    def numpy_actor(self):
        """The actor in NumPy, from the current parameters (what ``act`` runs)."""
        return TD3Actor(nets.to_canonical(self.ac.pi, "pi"), self.activation, self.act_limit_np)

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch, eps):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi and
        the gradients of both losses ('grad/q1/0/w', 'grad/pi/0/w', ...) for one minibatch."""
        data, eps = {k: self._tensor(v) for k, v in batch.items()}, self._tensor(eps)
        loss_q, _ = self.compute_loss_q(data, eps)
        loss_pi = self.compute_loss_pi(data)
        out = dict(Targ=self.compute_targets(data, eps), LossQ=loss_q.detach(),
                   LossPi=loss_pi.detach())
        out = {k: v.cpu().numpy() for k, v in out.items()}
        for loss, net_names in ((loss_q, ("q1", "q2")), (loss_pi, ("pi",))):
            items = [it for net in net_names
                     for it in nets.canonical_items(getattr(self.ac, net), net)]
            grads = torch.autograd.grad(loss, [p for _, p in items])
            out.update({"grad/" + n: (g.T if n.endswith("/w") else g).cpu().numpy()
                        for (n, _), g in zip(items, grads)})
        return out

    # --- Parameters, checkpoints, saving ---------------------------------------------------

    def get_params(self):
        """Online and target networks as canonical NumPy arrays ('pi/0/w', 'q1_targ/1/b'...)."""
        params = {}
        for net in NETS:
            params.update(nets.to_canonical(getattr(self.ac, net), net))
            params.update(nets.to_canonical(getattr(self.ac_targ, net), net, "_targ"))
        return params

    def set_params(self, params):
        """Load canonical parameters (online and target nets); optimizer states are kept."""
        for net in NETS:
            nets.from_canonical(params, getattr(self.ac, net), net)
            nets.from_canonical(params, getattr(self.ac_targ, net), net, "_targ")
        self.actor.stale()

    def state_dict(self):
        """Parameters with targets, both optimizers' states, the target-noise generator and
        the exploration-noise stream."""
        state = {f"params/{k}": v for k, v in self.get_params().items()}
        state.update(nets.optimizer_state(self.pi_optimizer, "pi_opt"))
        state.update(nets.optimizer_state(self.q_optimizer, "q_opt"))
        state["rng/gen"] = self.gen.get_state().cpu().numpy()
        state["rng/noise"] = generator_state(self.noise_rng)
        return state

    def load_state_dict(self, state):
        """The inverse of ``state_dict``."""
        self.set_params({k[7:]: v for k, v in state.items() if k.startswith("params/")})
        nets.load_optimizer_state(self.pi_optimizer, state, "pi_opt", self.device)
        nets.load_optimizer_state(self.q_optimizer, state, "q_opt", self.device)
        self.gen.set_state(torch.as_tensor(state["rng/gen"], dtype=torch.uint8))
        set_generator_state(self.noise_rng, state["rng/noise"])

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def save(self, model_dir):
        """``<model_dir>/model.pt``: state_dicts of the networks, targets, optimizers and the
        target-noise generator, written atomically."""
        state = dict(ac=self.ac.state_dict(), ac_targ=self.ac_targ.state_dict(),
                     pi_optimizer=self.pi_optimizer.state_dict(),
                     q_optimizer=self.q_optimizer.state_dict(), gen=self.gen.get_state())
        return save_torch(osp.join(model_dir, MODEL_FILE), state)

    def load(self, model_dir):
        """Read what ``save`` wrote (``weights_only``); returns the learner."""
        path = osp.join(model_dir, MODEL_FILE)
        state = load_torch(path, self.device, "saved model")
        try:
            self.ac.load_state_dict(state["ac"])
            self.ac_targ.load_state_dict(state["ac_targ"])
            self.pi_optimizer.load_state_dict(state["pi_optimizer"])
            self.q_optimizer.load_state_dict(state["q_optimizer"])
            self.gen.set_state(state["gen"].cpu())
        except (RuntimeError, KeyError, TypeError, ValueError, AttributeError) as e:
            raise RunFileError(f"{path}: saved model does not match the run's networks "
                               f"({str(e).splitlines()[0]})") from None
        finally:
            self.actor.stale()  # a failed load may have changed some of the weights
        return self

    def _tensor(self, x):
        return torch.as_tensor(np.asarray(x), dtype=self.dtype, device=self.device)


def learner_from_config(cfg, env, device=None):
    """A fresh learner built with a saved run's networks and hyperparameters (its config.json
    and env), before any training."""
    return build_from_config(TD3Learner, HYPERPARAMETERS, cfg, env, device=device)


def load(run_dir, device=None):
    """The trained learner of a saved run: ``load(run_dir).act(obs, deterministic=True)``."""
    return load_trained(read_td3_config, learner_from_config, run_dir, device=device)


def td3_pytorch(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=100,
                replay_size=int(1e6), gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3,
                batch_size=100, start_steps=10000, update_after=1000, update_every=50,
                act_noise=0.1, target_noise=0.2, noise_clip=0.5, policy_delay=2,
                num_test_episodes=10, max_ep_len=1000, logger_kwargs=dict(), save_freq=1,
                save_buffer=False, num_envs=1, async_envs=False,
                profile="none", profile_warmup=1, device=None):
    r"""
    Twin Delayed Deep Deterministic Policy Gradient (TD3)

    Args:
        env_fn : A function which creates a copy of the environment (e.g.
            ``spinup.algos.common.envs.EnvFn('HalfCheetah-v4')``). The environment must
            satisfy the gymnasium API and have a bounded, symmetric Box action space.

        ac_kwargs (dict): The actor and critics: ``hidden_sizes`` (default (256, 256)) and
            ``activation`` (default 'relu'; a name such as 'tanh', or a framework's
            activation). The actor is ``act_limit * tanh(mlp(obs))``; the critics Q1, Q2 are
            MLPs on ``concat(obs, act)``.

        seed (int): Seed for the initial networks (drawn in NumPy, so the same in both
            backends), the replay buffer, the exploration noise, the target noise and the
            environments.

        steps_per_epoch (int): Number of steps of interaction (state-action pairs) for the
            agent and the environment in each epoch.

        epochs (int): Number of epochs to run and train agent.

        replay_size (int): Maximum length of replay buffer.

        gamma (float): Discount factor. (Always between 0 and 1.)

        polyak (float): Interpolation factor in polyak averaging for target networks.
            Target networks are updated towards main networks according to:

            .. math:: \theta_{\text{targ}} \leftarrow
                \rho \theta_{\text{targ}} + (1-\rho) \theta

            where :math:`\rho` is polyak. (Always between 0 and 1, usually close to 1.)

        pi_lr (float): Learning rate for policy.

        q_lr (float): Learning rate for Q-networks.

        batch_size (int): Minibatch size for SGD. At most what the replay buffer holds at
            the first update.

        start_steps (int): Number of steps for uniform-random action selection, before
            running real policy. Helps exploration.

        update_after (int): Number of env interactions to collect before starting to do
            gradient descent updates. Ensures replay buffer is full enough for useful
            updates.

        update_every (int): Number of env interactions that should elapse between gradient
            descent updates. Each time, update_every updates are made, each on its own
            minibatch, so the ratio of env steps to gradient steps stays 1.

        act_noise (float): Stddev for Gaussian exploration noise added to policy at
            training time. (At test time, no noise is added.)

        target_noise (float): Stddev for smoothing noise added to target policy (drawn per
            sample and per action dimension).

        noise_clip (float): Limit for absolute value of target policy smoothing noise.

        policy_delay (int): Policy will only be updated once every policy_delay times for
            each update of the Q-networks (update j of a block updates the policy and the
            target networks when j % policy_delay == 0).

        num_test_episodes (int): Number of episodes to test the deterministic policy at the
            end of each epoch.

        max_ep_len (int): Maximum length of trajectory / episode / rollout. Reaching it is a
            time limit, not a terminal state: the Q target still bootstraps.

        logger_kwargs (dict): Keyword args for EpochLogger (output_dir, exp_name).

        save_freq (int): How often (in terms of gap between epochs) to save the current
            networks (and always at the last epoch), into ``<output_dir>/model/``.
            A checkpoint to resume from (``python -m spinup.run resume``) is written at
            the same epochs, into ``<output_dir>/checkpoint/``.

        save_buffer (bool): Also checkpoint the replay buffer (compressed chunks of the
            transitions added since the last checkpoint), so that a resumed run continues
            exactly as if it had never stopped. Without it a resumed run starts with an
            empty buffer and pauses updates until it holds ``update_after`` transitions.

        num_envs (int): Number of copies of the environment stepped together, with one
            batched policy call per step (gymnasium's vector API when > 1). Each step of the
            loop is then num_envs interactions; steps_per_epoch must be a multiple of it.
            1 (default) is the plain environment.

        async_envs (bool): Step the num_envs environments in subprocesses
            (AsyncVectorEnv) rather than in this process (SyncVectorEnv). Pays off when an
            env step costs much more than the inter-process round trip.

        profile (str): 'none', 'update' (cProfile the update calls) or 'epoch' (cProfile
            whole epochs); the profile is saved as ``<output_dir>/profile/<mode>.prof``.

        profile_warmup (int): Number of epochs left out of the profile (JIT compilation and
            warm-up happen there). Must be less than epochs when profiling.

        device (str): PyTorch device, e.g. 'cpu', 'cuda', 'cuda:1'. None picks 'cuda' when
            available, else 'cpu'.

    Logs per epoch (Epoch counts from 1): EpRet, TestEpRet (avg/std/min/max), EpLen,
    TestEpLen, TotalEnvInteracts, Q1Vals, Q2Vals (avg/std/min/max), LossPi, LossQ, TimeEnv,
    TimeAct, TimeUpdate, TimeTest, TimeEpoch (seconds this epoch) and Time (since the start).

    Returns the learner, whose ``act(obs, deterministic=True)`` runs the trained policy.
    """
    env = env_fn()
    try:
        args = check_td3_args(env, dict(
            ac_kwargs=ac_kwargs, seed=seed, steps_per_epoch=steps_per_epoch, epochs=epochs,
            replay_size=replay_size, gamma=gamma, polyak=polyak, pi_lr=pi_lr, q_lr=q_lr,
            batch_size=batch_size, start_steps=start_steps, update_after=update_after,
            update_every=update_every, act_noise=act_noise, target_noise=target_noise,
            noise_clip=noise_clip, policy_delay=policy_delay,
            num_test_episodes=num_test_episodes, max_ep_len=max_ep_len,
            logger_kwargs=logger_kwargs, save_freq=save_freq, save_buffer=save_buffer,
            num_envs=num_envs, async_envs=async_envs, profile=profile,
            profile_warmup=profile_warmup, device=device))
        torch.manual_seed(args["seed"])
        learner = TD3Learner(env.observation_space, env.action_space,
                             hidden_sizes=args["ac_kwargs"]["hidden_sizes"],
                             activation=args["ac_kwargs"]["activation"], gamma=args["gamma"],
                             polyak=args["polyak"], pi_lr=args["pi_lr"], q_lr=args["q_lr"],
                             act_noise=args["act_noise"], target_noise=args["target_noise"],
                             noise_clip=args["noise_clip"], policy_delay=args["policy_delay"],
                             seed=args["seed"], device=args["device"])
    except BaseException:
        env.close()
        raise
    return train_td3("td3_pytorch", env_fn, env, learner, args)

"""TD3 (Fujimoto et al. 2018), PyTorch learner. The training loop is shared:
spinup.algos.common.offpolicy.train_td3."""
import os
import os.path as osp
from copy import deepcopy
from itertools import chain

import numpy as np
import torch

from spinup.algos.common.checks import InputError
from spinup.algos.pytorch.device import resolve_device
from spinup.algos.common.offpolicy import (TD3_DEVICE_DOC, TD3_DOC, Policy, check_td3_args,
                                           init_td3_params, learner_kwargs, load_run_config,
                                           td3_config, train_td3)
from spinup.algos.pytorch.td3 import core

DTYPES = dict(float32=torch.float32, float64=torch.float64)


class TD3Learner:
    """Actor, twin critics, their targets and optimizers. ``update`` runs one block of
    updates on minibatches shaped ``[n_updates, batch, ...]``."""

    def __init__(self, obs_dim, act_dim, act_limit, hidden_sizes=(256, 256), activation="relu",
                 gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3, target_noise=0.2,
                 noise_clip=0.5, policy_delay=2, seed=0, dtype="float32", device=None):
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.target_noise, self.noise_clip = target_noise, noise_clip
        self.device, self.dtype = resolve_device(device), DTYPES[dtype]
        self.act_limit = torch.as_tensor(act_limit, dtype=self.dtype, device=self.device)
        self.ac = core.MLPActorCritic(obs_dim, act_dim, act_limit, hidden_sizes, activation)
        self.ac.to(device=self.device, dtype=self.dtype)
        self.ac_targ = deepcopy(self.ac)
        for p in self.ac_targ.parameters():
            p.requires_grad_(False)
        self.set_params(init_td3_params(obs_dim, act_dim, hidden_sizes, seed))
        # A list, not an iterator: it is walked again at every policy step to freeze Q.
        self.q_params = list(chain(self.ac.q1.parameters(), self.ac.q2.parameters()))
        self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
        self.q_optimizer = torch.optim.Adam(self.q_params, lr=q_lr)
        self.gen = torch.Generator(device=self.device).manual_seed(seed)

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
        q1 = self.ac.q1(data["obs"], data["act"])
        q2 = self.ac.q2(data["obs"], data["act"])
        backup = self.compute_targets(data, eps)
        loss_q = ((q1 - backup) ** 2).mean() + ((q2 - backup) ** 2).mean()
        return loss_q, (q1.detach(), q2.detach())

    def compute_loss_pi(self, data):
        q1_pi = self.ac.q1(data["obs"], self.ac.pi(data["obs"]))
        return -q1_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, data, eps):
        self.q_optimizer.zero_grad()
        loss_q, (q1, q2) = self.compute_loss_q(data, eps)
        loss_q.backward()
        self.q_optimizer.step()
        return loss_q.detach(), q1, q2

    def update_pi(self, data):
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
        return {k: v.cpu().numpy() for k, v in info.items()}

    def sample_eps(self, shape):
        """Fresh standard-normal target-noise draws for a block (independent per update,
        sample and action dimension)."""
        return torch.randn(tuple(shape), generator=self.gen, dtype=self.dtype, device=self.device)

    # --- Acting ----------------------------------------------------------------------------

    @torch.no_grad()
    def act(self, obs):
        """The deterministic action ``pi(obs)`` as a NumPy array."""
        return self.ac.pi(self._tensor(obs)).cpu().numpy()

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
        for loss, net in ((loss_q, ("q1", "q2")), (loss_pi, ("pi",))):
            items = [(n, p) for n, p in core.canonical_items(self.ac) if n.split("/")[0] in net]
            grads = torch.autograd.grad(loss, [p for _, p in items])
            out.update({"grad/" + n: core.to_canonical(n, g) for (n, _), g in zip(items, grads)})
        return out

    # --- Parameters, saving ----------------------------------------------------------------

    def get_params(self):
        """Online and target networks as canonical NumPy arrays ('pi/0/w', 'q1_targ/1/b'...)."""
        return {**core.get_canonical(self.ac), **core.get_canonical(self.ac_targ, "_targ")}

    def set_params(self, params):
        core.set_canonical(self.ac, params)
        core.set_canonical(self.ac_targ, params, "_targ")

    def sync(self):
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def save(self, model_dir):
        """``<model_dir>/model.pt``: state_dicts of the networks, targets, optimizers and the
        noise generator. Written to a temporary file first so a crash never leaves a broken
        model in place of the last good one."""
        os.makedirs(model_dir, exist_ok=True)
        state = dict(ac=self.ac.state_dict(), ac_targ=self.ac_targ.state_dict(),
                     pi_optimizer=self.pi_optimizer.state_dict(),
                     q_optimizer=self.q_optimizer.state_dict(), gen=self.gen.get_state())
        tmp = osp.join(model_dir, "model.pt.tmp")
        torch.save(state, tmp)
        os.replace(tmp, osp.join(model_dir, "model.pt"))

    def load(self, model_dir):
        state = torch.load(osp.join(model_dir, "model.pt"), map_location=self.device,
                           weights_only=True)
        self.ac.load_state_dict(state["ac"])
        self.ac_targ.load_state_dict(state["ac_targ"])
        self.pi_optimizer.load_state_dict(state["pi_optimizer"])
        self.q_optimizer.load_state_dict(state["q_optimizer"])
        self.gen.set_state(state["gen"].cpu())

    def _tensor(self, x):
        return torch.as_tensor(np.asarray(x), dtype=self.dtype, device=self.device)


def td3_pytorch(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=100,
                replay_size=int(1e6), gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3,
                batch_size=100, start_steps=10000, update_after=1000, update_every=50,
                act_noise=0.1, target_noise=0.2, noise_clip=0.5, policy_delay=2,
                num_test_episodes=10, max_ep_len=1000, logger_kwargs=dict(), save_freq=1,
                profile="none", profile_warmup=1, device=None):
    args = {k: v for k, v in locals().items() if k != "env_fn"}
    env = env_fn()
    try:
        args = check_td3_args(env, args)
    except InputError:
        env.close()
        raise
    torch.manual_seed(seed)
    learner = TD3Learner(**learner_kwargs(args, env), device=args["device"])
    train_td3(env_fn, env, learner, td3_config("td3_pytorch", env_fn, args), **args)


td3_pytorch.__doc__ = TD3_DOC + TD3_DEVICE_DOC


def load(run_dir, device=None):
    """The policy of a saved run: ``load(run_dir).act(obs, deterministic=True)``."""
    cfg, env = load_run_config(run_dir)
    learner = TD3Learner(**learner_kwargs(cfg, env), device=device)
    learner.load(osp.join(run_dir, "model"))
    policy = Policy(learner, env.action_space, cfg.get("act_noise", 0.1), cfg.get("seed", 0))
    env.close()
    return policy

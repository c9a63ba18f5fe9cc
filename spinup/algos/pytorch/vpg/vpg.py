"""Vanilla Policy Gradient in PyTorch: the learner. The loop, the buffer, the checks and the
docstring are shared with the JAX backend (spinup.algos.common.onpolicy)."""
import os
import os.path as osp

import numpy as np
import torch

from spinup.algos.pytorch.device import resolve_device
from spinup.algos.common.envs import space_kind
from spinup.algos.common.onpolicy import (VPG_DOC, VPG_UPDATE_KEYS, check_vpg_args,
                                          init_vpg_params, learner_kwargs, read_run_config,
                                          train_vpg)
from spinup.algos.pytorch.vpg import core

MODEL_FILE = "model.pt"


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
    return ((ac.v(data["obs"]) - data["ret"]) ** 2).mean()


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class VPGLearner:
    """The actor-critic, its two Adam optimizers, and VPG's update."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh",
                 pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, seed=0, device=None,
                 dtype="float32"):
        self.device = resolve_device(device)
        self.dtype = getattr(torch, np.dtype(dtype).name)  # float64 for parity tests
        self.discrete = space_kind(act_space) == "discrete"
        self.act_shape = () if self.discrete else act_space.shape
        self.train_v_iters = train_v_iters
        torch.manual_seed(seed)  # action sampling
        self.ac = core.MLPActorCritic(obs_space, act_space, hidden_sizes, activation)
        self.ac.to(self.device, self.dtype)
        self.set_params(init_vpg_params(obs_space, act_space, hidden_sizes, seed))
        self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
        self.vf_optimizer = torch.optim.Adam(self.ac.v.parameters(), lr=vf_lr)

    def _obs(self, obs):
        return torch.as_tensor(obs, dtype=self.dtype, device=self.device)

    def _action(self, a):
        return a.astype(np.int64).reshape(()) if self.discrete else a.reshape(self.act_shape)

    # -- acting ----------------------------------------------------------------------------
    def step(self, obs):
        """Sample a ~ pi(.|obs); return (a, V(obs), logp(a)) as NumPy, in one device transfer."""
        a, v, logp = self.ac.step(self._obs(obs))
        out = torch.cat([a.reshape(-1).to(v.dtype), v.reshape(1), logp.reshape(1)]).cpu().numpy()
        return self._action(out[:-2]), out[-2], out[-1]

    def value(self, obs):
        with torch.no_grad():
            return self.ac.v(self._obs(obs)).cpu().numpy()

    def act(self, obs, deterministic=True):
        """The action for ``obs``: the mean (Box) or the most likely action (Discrete) when
        ``deterministic``, else a sample."""
        a = self.ac.act(self._obs(obs), deterministic)
        return self._action(a.cpu().numpy())

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
        return dict(zip(VPG_UPDATE_KEYS, stats.cpu().tolist()))

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses at the current parameters, and
        the gradients of the two losses (canonical names), without changing anything."""
        data = self._tensors(batch)
        self.ac.zero_grad()
        loss_pi, logp, ent = compute_loss_pi(self.ac, data)
        loss_v = compute_loss_v(self.ac, data)
        (loss_pi + loss_v).backward()  # disjoint parameters, so the gradients stay apart
        grads = core.get_canonical(self.ac, grad=True)
        self.ac.zero_grad()
        return dict(logp=logp.detach().cpu().numpy(), Entropy=ent.item(),
                    LossPi=loss_pi.item(), LossV=loss_v.item()), grads

    def _tensors(self, batch):
        return {k: torch.as_tensor(v, device=self.device,
                                   dtype=self.dtype if v.dtype.kind == "f" else None)
                for k, v in batch.items()}

    # -- parameters ------------------------------------------------------------------------
    def get_params(self):
        return core.get_canonical(self.ac)

    def set_params(self, params):
        core.set_canonical(self.ac, params)

    def sync(self):
        """Block until queued device work is done (so timers charge it to the right phase)."""
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)

    def save(self, model_dir):
        os.makedirs(model_dir, exist_ok=True)
        tmp = osp.join(model_dir, MODEL_FILE + ".tmp")
        torch.save(self.ac.state_dict(), tmp)
        os.replace(tmp, osp.join(model_dir, MODEL_FILE))  # never a half-written model

    def load(self, model_dir):
        state = torch.load(osp.join(model_dir, MODEL_FILE), map_location=self.device,
                           weights_only=True)
        self.ac.load_state_dict(state)
        return self


def load(run_dir, device=None):
    """Rebuild the trained policy of a run from ``<run_dir>/config.json`` and its model."""
    cfg, env = read_run_config(run_dir)
    learner = VPGLearner(env.observation_space, env.action_space, **cfg["ac_kwargs"],
                         seed=cfg.get("seed", 0), device=device)
    env.close()
    return learner.load(osp.join(run_dir, "model"))


# ----------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------
def vpg_pytorch(env_fn, ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=50, gamma=0.99,
                pi_lr=3e-4, vf_lr=1e-3, train_v_iters=80, lam=0.97, max_ep_len=1000,
                logger_kwargs=dict(), save_freq=10, profile="none", profile_warmup=1,
                device=None):
    kwargs = dict(locals())
    env_fn = kwargs.pop("env_fn")
    env = env_fn()
    try:
        args = check_vpg_args(env, kwargs)
        learner = VPGLearner(env.observation_space, env.action_space, **learner_kwargs(args),
                             device=args["device"])
        # config.json: the checked arguments, and what load() needs to rebuild the run.
        config = dict(algo="vpg_pytorch", env_fn=env_fn, **args)
        return train_vpg(env, learner, args, config)
    finally:
        env.close()


vpg_pytorch.__doc__ = VPG_DOC

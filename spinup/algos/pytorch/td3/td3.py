"""TD3 (Fujimoto et al. 2018) in PyTorch: the learner and the entry point. The loop, the
replay buffer, the exploration noise and the checks are shared with the JAX backend
(spinup.algos.common.td3); what every off-policy learner does beside its losses and updates
is in spinup.algos.pytorch.off_policy."""
from itertools import chain

import torch

from spinup.algos.common.nets import init_deterministic_actor_critic
from spinup.algos.common.spec import make_entry_point
from spinup.algos.common.td3 import SPEC
from spinup.algos.pytorch.off_policy import OffPolicyLearner, frozen
from spinup.algos.pytorch.td3 import core


class TD3Learner(OffPolicyLearner):
    """Actor, twin critics, their targets and optimizers. ``update`` runs one block of
    updates on minibatches shaped ``[n_updates, batch, ...]``."""

    NETS = ("pi", "q1", "q2")
    TARGET_NETS = ("pi", "q1", "q2")

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, pi_lr, q_lr, act_noise, target_noise, noise_clip, policy_delay,
                 seed=0, dtype="float32", device=None):
        super().__init__(obs_space, act_space, activation, seed, dtype, device)
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.act_noise, self.target_noise, self.noise_clip = act_noise, target_noise, noise_clip
        self.build_networks(
            lambda: core.MLPActorCritic(self.obs_dim, self.act_dim, self.act_limit_np,
                                        hidden_sizes, activation),
            init_deterministic_actor_critic(self.obs_dim, self.act_dim, hidden_sizes, seed,
                                            ("q1", "q2")))
        # A list, not an iterator: it is walked again at every policy step to freeze Q.
        self.q_params = list(chain(self.ac.q1.parameters(), self.ac.q2.parameters()))
        self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
        self.q_optimizer = torch.optim.Adam(self.q_params, lr=q_lr)
        self.optimizers = dict(pi=self.pi_optimizer, q=self.q_optimizer)

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
        with frozen(self.q_params):
            self.pi_optimizer.zero_grad()
            loss_pi = self.compute_loss_pi(data)
            loss_pi.backward()
            self.pi_optimizer.step()
        return loss_pi.detach()

    def update_one(self, j, data, eps):
        """Update j of a block: a Q step; when j % policy_delay == 0 also a policy step and
        the polyak update of all target networks."""
        loss_q, q1, q2 = self.update_q(data, eps)
        loss_pi = None
        if j % self.policy_delay == 0:
            loss_pi = self.update_pi(data)
            self.update_targets()
        return loss_q, q1, q2, loss_pi

    def update_block(self, data, noise):
        """The updates of a block one after the other (``noise``: the target-noise draws).
        Returns LossQ ``[n]``, LossPi ``[ceil(n / policy_delay)]``, Q1Vals/Q2Vals
        ``[n, batch]``."""
        out = [self.update_one(j, {k: v[j] for k, v in data.items()}, noise[j])
               for j in range(data["rew"].shape[0])]
        loss_q, q1, q2, loss_pi = zip(*out)
        loss_pi = [loss for loss in loss_pi if loss is not None]  # policy steps only
        return dict(LossQ=torch.stack(loss_q), LossPi=torch.stack(loss_pi),
                    Q1Vals=torch.stack(q1), Q2Vals=torch.stack(q2))

    def draw_noise(self, n_updates, batch_size):
        """Fresh standard-normal target-noise draws ``[n_updates, batch_size, act_dim]``
        (independent per update, sample and action dimension)."""
        return torch.randn((n_updates, batch_size, self.act_dim), generator=self.gen,
                           dtype=self.dtype, device=self.device)

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
        out.update(self.gradients(loss_q, ("q1", "q2")))
        out.update(self.gradients(loss_pi, ("pi",)))
        return out


td3_pytorch = make_entry_point(SPEC, "pytorch", TD3Learner, __name__)

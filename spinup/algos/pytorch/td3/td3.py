"""TD3 (Fujimoto et al. 2018) in PyTorch: the learner and the entry point. The loop, the
replay buffer, the exploration noise and the checks are shared with the JAX backend
(spinup.algos.common.td3); what every off-policy learner does beside its losses and updates
is in spinup.algos.pytorch.off_policy."""
import functools
import operator

import torch

from spinup.algos.common.nets import init_deterministic_actor_critic
from spinup.algos.common.spec import make_entry_point
from spinup.algos.common.td3 import SPEC
from spinup.algos.pytorch.off_policy import OffPolicyLearner
from spinup.algos.pytorch.td3 import core


class TD3Learner(OffPolicyLearner):
    """Actor, twin critics, their targets and optimizers. ``update`` runs one block of
    updates on minibatches shaped ``[n_updates, batch, ...]``.

    ``critics`` names the critics (their minimum is the target), ``target_noise`` None turns
    target policy smoothing off: with ``critics=('q',)``, no smoothing and ``policy_delay=1``
    this is DDPG (``spinup.algos.pytorch.ddpg.ddpg``)."""

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, pi_lr, q_lr, act_noise, target_noise, noise_clip, policy_delay,
                 critics=("q1", "q2"), seed=0, dtype="float32", device=None, compile="none"):
        self.critics = tuple(critics)
        self.NETS = self.TARGET_NETS = ("pi", *self.critics)
        super().__init__(obs_space, act_space, activation, seed, dtype, device)
        self.gamma, self.polyak, self.policy_delay = gamma, polyak, policy_delay
        self.act_noise, self.target_noise, self.noise_clip = act_noise, target_noise, noise_clip
        self.build_networks(
            lambda: core.MLPActorCritic(self.obs_dim, self.act_dim, self.act_limit_np,
                                        hidden_sizes, activation, self.critics),
            init_deterministic_actor_critic(self.obs_dim, self.act_dim, hidden_sizes, seed,
                                            self.critics))
        self.q_params = [p for c in self.critics for p in getattr(self.ac, c).parameters()]
        self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
        self.q_optimizer = torch.optim.Adam(self.q_params, lr=q_lr)
        self.optimizers = dict(pi=self.pi_optimizer, q=self.q_optimizer)
        self.compile_updates(compile)

    # --- TD3's losses ----------------------------------------------------------------------

    @torch.no_grad()
    def compute_targets(self, data, eps):
        """Bellman backup with target policy smoothing and clipped double-Q. ``eps`` holds
        standard-normal draws, one per sample and action dimension (None: no smoothing)."""
        a2 = self.ac_targ.pi(data["obs2"])
        if eps is not None:
            epsilon = torch.clamp(self.target_noise * eps, -self.noise_clip, self.noise_clip)
            a2 = torch.clamp(a2 + epsilon, -self.act_limit, self.act_limit)
        q_pi_targ = functools.reduce(torch.min, [getattr(self.ac_targ, c)(data["obs2"], a2)
                                                 for c in self.critics])
        return data["rew"] + self.gamma * (1 - data["done"]) * q_pi_targ

    def compute_loss_q(self, data, eps):
        """The sum over the critics of their MSE against the (constant) backup; also each
        critic's Q values for logging."""
        qs = [getattr(self.ac, c)(data["obs"], data["act"]) for c in self.critics]
        backup = self.compute_targets(data, eps)
        loss_q = functools.reduce(operator.add, [((q - backup) ** 2).mean() for q in qs])
        return loss_q, [q.detach() for q in qs]

    def compute_loss_pi(self, data):
        """-Q1(s, pi(s)).mean(): the first critic's."""
        q1_pi = getattr(self.ac, self.critics[0])(data["obs"], self.ac.pi(data["obs"]))
        return -q1_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, data, eps):
        """One Adam step on the critics."""
        return self.optimize("q", self.compute_loss_q, data, eps)

    def update_pi(self, data):
        """One Adam step on the actor (the critics get no gradient)."""
        return self.optimize("pi", self.compute_loss_pi, data)[0]

    def update_one(self, data, eps, policy_step):
        """One update: a Q step; with ``policy_step`` also a policy step and the polyak
        update of all target networks."""
        loss_q, qs = self.update_q(data, eps)
        loss_pi = None
        if policy_step:
            loss_pi = self.update_pi(data)
            self.update_targets()
        return loss_q, qs, loss_pi

    def update_block(self, data, noise):
        """The updates of a block one after the other (``noise``: the target-noise draws, or
        None), update j with a policy step when j % policy_delay == 0. Returns LossQ ``[n]``,
        LossPi ``[ceil(n / policy_delay)]`` and each critic's values ``[n, batch]`` (Q1Vals,
        Q2Vals; DDPG: QVals)."""
        out = [self.update_one_c({k: v[j] for k, v in data.items()},
                                 None if noise is None else noise[j], j % self.policy_delay == 0)
               for j in range(data["rew"].shape[0])]
        loss_q, qs, loss_pi = zip(*out)
        loss_pi = [loss for loss in loss_pi if loss is not None]  # policy steps only
        info = dict(LossQ=torch.stack(loss_q), LossPi=torch.stack(loss_pi))
        info.update({f"{c.upper()}Vals": torch.stack([q[i] for q in qs])
                     for i, c in enumerate(self.critics)})
        return info

    def draw_noise(self, n_updates, batch_size):
        """Fresh standard-normal target-noise draws ``[n_updates, batch_size, act_dim]``
        (independent per update, sample and action dimension); None without smoothing."""
        if self.target_noise is None:
            return None
        return torch.randn((n_updates, batch_size, self.act_dim), generator=self.gen,
                           dtype=self.dtype, device=self.device)

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch, eps=None):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi and
        the gradients of both losses ('grad/q1/0/w', 'grad/pi/0/w', ...) for one minibatch."""
        data = {k: self._tensor(v) for k, v in batch.items()}
        eps = None if eps is None else self._tensor(eps)
        loss_q, _ = self.compute_loss_q(data, eps)
        loss_pi = self.compute_loss_pi(data)
        out = dict(Targ=self.compute_targets(data, eps), LossQ=loss_q.detach(),
                   LossPi=loss_pi.detach())
        out = {k: v.cpu().numpy() for k, v in out.items()}
        out.update(self.gradients(loss_q, self.critics))
        out.update(self.gradients(loss_pi, ("pi",)))
        return out


td3_pytorch = make_entry_point(SPEC, "pytorch", TD3Learner, __name__)

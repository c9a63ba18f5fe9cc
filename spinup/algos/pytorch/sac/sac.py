"""SAC (Haarnoja et al. 2018, SpinningUp's version) in PyTorch: the learner. The loop, the
replay buffer and the checks are shared with the JAX backend (the off-policy family); what
every off-policy learner does around its updates is in spinup/algos/pytorch/off_policy.py."""
import numpy as np
import torch

from spinup.algos.common.nets import init_squashed_gaussian_actor_critic
from spinup.algos.common.numpy_policy import SquashedGaussianActor
from spinup.algos.common.sac import SPEC
from spinup.algos.common.spec import make_entry_point
from spinup.algos.pytorch.off_policy import OffPolicyLearner
from spinup.algos.pytorch.sac import core

NOISE = ("eps_targ", "eps_pi")  # the two reparameterisation draws of each update


class SACLearner(OffPolicyLearner):
    """Squashed Gaussian actor, twin critics, their targets, the optimizers and (with
    ``alpha='auto'``) the learned temperature. ``update`` runs one block of updates on
    minibatches shaped ``[n_updates, batch, ...]``.

    ``alpha``: the entropy temperature, a number > 0 (fixed, as SpinningUp) or 'auto' (learned
    as CleanRL and Stable-Baselines3 do: 'alpha/log_alpha' from 0, its own Adam with rate
    ``lr``, towards the target entropy ``-act_dim``)."""

    NETS = ("pi", "q1", "q2")  # and 'alpha' with a learned temperature
    TARGET_NETS = ("q1", "q2")  # no actor target: a' is sampled from the current policy
    NUMPY_ACTOR = SquashedGaussianActor  # acting: its mean action, or a sample
    DETERMINISTIC_ACTOR = False

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, lr, alpha, seed=0, dtype="float32", device=None, compile="none"):
        super().__init__(obs_space, act_space, activation, seed, dtype, device)
        self.gamma, self.polyak = gamma, polyak
        self.auto_alpha = isinstance(alpha, str) and alpha == "auto"
        self.alpha = None if self.auto_alpha else float(alpha)
        self.target_entropy = -float(self.act_dim)
        params = init_squashed_gaussian_actor_critic(self.obs_dim, self.act_dim, hidden_sizes,
                                                     seed)
        if self.auto_alpha:
            self.NETS = (*self.NETS, "alpha")
            params["alpha/log_alpha"] = np.zeros((), np.float32)  # alpha = 1 at the start
        self.build_networks(lambda: core.MLPActorCritic(
            self.obs_dim, self.act_dim, self.act_limit_np, hidden_sizes, activation,
            self.auto_alpha), params)
        self.q_params = [*self.ac.q1.parameters(), *self.ac.q2.parameters()]
        self.optimizers = dict(pi=torch.optim.Adam(self.ac.pi.parameters(), lr=lr),
                               q=torch.optim.Adam(self.q_params, lr=lr))
        if self.auto_alpha:
            self.optimizers["alpha"] = torch.optim.Adam(self.ac.alpha.parameters(), lr=lr)
        self.compile_updates(compile)

    # --- SAC's losses ----------------------------------------------------------------------

    @torch.no_grad()
    def compute_targets(self, data, eps, alpha):
        """Entropy-regularised Bellman backup with clipped double-Q; ``a'`` is sampled from
        the current policy at ``s'`` with the standard-normal draws ``eps``."""
        a2, logp_a2 = self.ac.pi(data["obs2"], eps)
        q1_pi_targ = self.ac_targ.q1(data["obs2"], a2)
        q2_pi_targ = self.ac_targ.q2(data["obs2"], a2)
        q_pi_targ = torch.min(q1_pi_targ, q2_pi_targ)
        return data["rew"] + self.gamma * (1 - data["done"]) * (q_pi_targ - alpha * logp_a2)

    def compute_loss_q(self, data, eps, alpha):
        """MSE of Q1 and Q2 against the (constant) backup; also Q1, Q2 for logging."""
        q1 = self.ac.q1(data["obs"], data["act"])
        q2 = self.ac.q2(data["obs"], data["act"])
        backup = self.compute_targets(data, eps, alpha)
        loss_q = ((q1 - backup) ** 2).mean() + ((q2 - backup) ** 2).mean()
        return loss_q, (q1.detach(), q2.detach())

    def compute_loss_pi(self, data, eps, alpha):
        """mean(alpha * logp(a|s) - min(Q1, Q2)(s, a)), a ~ pi(.|s) reparameterised with
        ``eps``; also logp (a constant) for logging and the temperature step."""
        a, logp = self.ac.pi(data["obs"], eps)
        q_pi = torch.min(self.ac.q1(data["obs"], a), self.ac.q2(data["obs"], a))
        return (alpha * logp - q_pi).mean(), logp.detach()

    def compute_loss_alpha(self, logp):
        """-(log_alpha * (logp + target_entropy)).mean() with ``logp`` a constant: raises
        alpha while the policy's entropy is below the target, lowers it above."""
        return -(self.ac.alpha.log_alpha * (logp.detach() + self.target_entropy)).mean()

    def current_alpha(self):
        """The temperature the next update uses (a constant of that update)."""
        if self.auto_alpha:
            return self.ac.alpha()
        return torch.tensor(self.alpha, dtype=self.dtype, device=self.device)

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, data, eps, alpha):
        """One Adam step on both critics."""
        loss_q, (q1, q2) = self.optimize("q", self.compute_loss_q, data, eps, alpha)
        return loss_q, q1, q2

    def update_pi(self, data, eps, alpha):
        """One Adam step on the actor (the critics get no gradient)."""
        return self.optimize("pi", self.compute_loss_pi, data, eps, alpha)

    def update_alpha(self, logp):
        """One Adam step on log_alpha, with the policy step's logp."""
        return self.optimize("alpha", self.compute_loss_alpha, logp)[0]

    def update_one(self, data, noise):
        """One SAC update: a Q step, a policy step, (auto) a temperature step, then polyak
        averaging of the Q targets."""
        alpha = self.current_alpha()
        loss_q, q1, q2 = self.update_q(data, noise["eps_targ"], alpha)
        loss_pi, logp = self.update_pi(data, noise["eps_pi"], alpha)
        info = dict(LossQ=loss_q, LossPi=loss_pi, Q1Vals=q1, Q2Vals=q2, LogPi=logp,
                    Alpha=alpha)
        if self.auto_alpha:
            info["LossAlpha"] = self.update_alpha(logp)
        self.update_targets()
        return info

    def update_block(self, data, noise):
        """All updates of a block, on tensors ``[n, batch, ...]``: LossQ, LossPi, Alpha
        ``[n]``, Q1Vals, Q2Vals, LogPi ``[n, batch]`` (and LossAlpha ``[n]`` with
        alpha='auto'). ``noise``: ``draw_noise``'s, or the same arrays given to ``update``."""
        infos = [self.update_one_c({k: v[j] for k, v in data.items()},
                                   {k: noise[k][j] for k in NOISE})
                 for j in range(data["rew"].shape[0])]
        return {k: torch.stack([info[k] for info in infos]) for k in infos[0]}

    def draw_noise(self, n_updates, batch_size):
        """Fresh standard-normal draws for a block: ``eps_targ`` (a' at s') and ``eps_pi``
        (a at s), each ``[n_updates, batch_size, act_dim]``."""
        shape = (n_updates, batch_size, self.act_dim)
        return {k: torch.randn(shape, generator=self.gen, dtype=self.dtype, device=self.device)
                for k in NOISE}

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch, noise):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi, LogPi,
        (auto) LossAlpha, and the gradients of the losses ('grad/q1/0/w', 'grad/pi/0/w', ...,
        'grad/alpha/log_alpha') for one minibatch."""
        data = {k: self._tensor(v) for k, v in batch.items()}
        eps_targ, eps_pi = (self._tensor(noise[k]) for k in NOISE)
        alpha = self.current_alpha()
        loss_q, _ = self.compute_loss_q(data, eps_targ, alpha)
        loss_pi, logp = self.compute_loss_pi(data, eps_pi, alpha)
        out = dict(Targ=self.compute_targets(data, eps_targ, alpha), LossQ=loss_q, LossPi=loss_pi,
                   LogPi=logp)
        grads = {**self.gradients(loss_q, ("q1", "q2")), **self.gradients(loss_pi, ("pi",))}
        if self.auto_alpha:
            out["LossAlpha"] = loss_alpha = self.compute_loss_alpha(logp)
            grads.update(self.gradients(loss_alpha, ("alpha",)))
        return {**{k: v.detach().cpu().numpy() for k, v in out.items()}, **grads}


sac_pytorch = make_entry_point(SPEC, "pytorch", SACLearner, __name__)

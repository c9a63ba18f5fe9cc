"""Vanilla Policy Gradient in PyTorch: the learner and the entry point. The loop, the buffer
and the checks are shared with the JAX backend (spinup.algos.common.vpg); the networks, acting
and checkpoints with PPO (spinup.algos.pytorch.on_policy)."""
import torch

from spinup.algos.common.vpg import VPG_UPDATE_KEYS, SPEC
from spinup.algos.common.spec import make_entry_point
from spinup.algos.pytorch.on_policy import OnPolicyLearner, compute_loss_v


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, data):
    """Policy-gradient surrogate -(logp * adv).mean(); also the log-probs and the entropy
    (averaged over samples and action dimensions, as SpinningUp logs it)."""
    pi, logp = ac.pi(data["obs"], data["act"])
    loss_pi = -(logp * data["adv"]).mean()
    return loss_pi, (logp, pi.entropy().mean())


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class VPGLearner(OnPolicyLearner):
    """The actor-critic, its two Adam optimizers, and VPG's update (acting, parameters and
    checkpoints: OnPolicyLearner)."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh", *,
                 pi_lr, vf_lr, train_v_iters, seed=0, dtype="float32", device=None,
                 compile="none"):
        super().__init__(obs_space, act_space, hidden_sizes, activation, pi_lr=pi_lr,
                         vf_lr=vf_lr, seed=seed, dtype=dtype, device=device, compile=compile)
        self.train_v_iters = train_v_iters
        self.policy_step_c = self.graphed(self.compiled(self.policy_step))

    # -- learning --------------------------------------------------------------------------
    def compute_loss_pi(self, data):
        return compute_loss_pi(self.ac, data)

    def policy_step(self, data):
        """One Adam step on the policy; the loss and entropy before it, and the loss and the
        KL from the data's policy after it (SpinningUp measures both before, where they are
        ~0)."""
        loss_pi, (_, ent) = self.optimize("pi", self.compute_loss_pi, data)
        with torch.no_grad():
            loss_pi_new, (logp_new, _) = compute_loss_pi(self.ac, data)
            kl = (data["logp"] - logp_new).mean()
        return loss_pi, ent.detach(), loss_pi_new, kl

    def update(self, batch):
        """One policy step, then train_v_iters value steps, on the whole batch."""
        data = self._tensors(batch)
        loss_pi, ent, loss_pi_new, kl = self.policy_step_c(data)
        loss_v_old = self.fit_value(data)
        with torch.no_grad():
            loss_v_new = compute_loss_v(self.ac, data)

        stats = torch.stack([loss_pi, loss_v_old, loss_pi_new - loss_pi, loss_v_new - loss_v_old,
                             ent, kl])
        self.policy.stale()
        return dict(zip(VPG_UPDATE_KEYS, stats.cpu().tolist()))

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses at the current parameters, and
        the gradients of the two losses (canonical names), without changing anything."""
        data = self._tensors(batch)
        self.ac.zero_grad()
        loss_pi, (logp, ent) = compute_loss_pi(self.ac, data)
        loss_v = compute_loss_v(self.ac, data)
        (loss_pi + loss_v).backward()  # disjoint parameters, so the gradients stay apart
        grads = self._canonical(grad=True)
        self.ac.zero_grad()
        return dict(logp=logp.detach().cpu().numpy(), Entropy=ent.item(),
                    LossPi=loss_pi.item(), LossV=loss_v.item()), grads


vpg_pytorch = make_entry_point(SPEC, "pytorch", VPGLearner, __name__)

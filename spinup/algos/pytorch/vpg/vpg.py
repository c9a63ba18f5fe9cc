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
                 pi_lr, vf_lr, train_v_iters, seed=0, dtype="float32", device=None):
        super().__init__(obs_space, act_space, hidden_sizes, activation, pi_lr=pi_lr,
                         vf_lr=vf_lr, seed=seed, dtype=dtype, device=device)
        self.train_v_iters = train_v_iters

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """One policy step, then train_v_iters value steps, on the whole batch."""
        data = self._tensors(batch)
        loss_pi, (_, ent) = compute_loss_pi(self.ac, data)
        self.pi_optimizer.zero_grad()
        loss_pi.backward()
        self.pi_optimizer.step()
        with torch.no_grad():
            # Measured after the step (SpinningUp measures before, where both are ~0).
            loss_pi_new, (logp_new, _) = compute_loss_pi(self.ac, data)
            kl = (data["logp"] - logp_new).mean()

        loss_v_old = self.fit_value(data)
        with torch.no_grad():
            loss_v_new = compute_loss_v(self.ac, data)

        stats = torch.stack([loss_pi.detach(), loss_v_old, loss_pi_new - loss_pi.detach(),
                             loss_v_new - loss_v_old, ent.detach(), kl])
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

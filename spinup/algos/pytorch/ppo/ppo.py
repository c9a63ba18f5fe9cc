"""Proximal Policy Optimization (PPO-Clip, with early stopping on the approximate KL) in
PyTorch: the learner. The networks, acting and checkpoints are shared with VPG
(spinup.algos.pytorch.on_policy); the loop and the buffer with the JAX backend."""
import torch

from spinup.algos.common.ppo import PPO_UPDATE_KEYS, SPEC
from spinup.algos.common.spec import make_entry_point
from spinup.algos.pytorch.on_policy import OnPolicyLearner, compute_loss_v


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, data, clip_ratio):
    """PPO-Clip's surrogate -mean(min(ratio * adv, clip(ratio, 1-clip_ratio, 1+clip_ratio) *
    adv)), ratio = pi(a|s) / pi_old(a|s): a pessimistic bound that gains nothing from moving
    the ratio out of the clip range. Also the log-probs, the entropy (averaged over samples
    and action dimensions, as SpinningUp logs it), the approximate KL mean(logp_old - logp)
    and the fraction of samples whose ratio is clipped."""
    pi, logp = ac.pi(data["obs"], data["act"])
    ratio = torch.exp(logp - data["logp"])
    clip_adv = torch.clamp(ratio, 1 - clip_ratio, 1 + clip_ratio) * data["adv"]
    loss_pi = -(torch.min(ratio * data["adv"], clip_adv)).mean()
    kl = (data["logp"] - logp).mean()
    clipped = ratio.gt(1 + clip_ratio) | ratio.lt(1 - clip_ratio)
    clip_frac = clipped.to(ratio.dtype).mean()
    return loss_pi, (logp, pi.entropy().mean(), kl, clip_frac)


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class PPOLearner(OnPolicyLearner):
    """The actor-critic, its two Adam optimizers, and PPO's update (acting, parameters and
    checkpoints: OnPolicyLearner).

    The hyperparameters have no defaults here: they live once, in PPO's spec. The update, on
    the whole batch: up to ``train_pi_iters`` policy steps, each preceded by a check of the
    approximate KL between the policy that collected the data and the current one; when it
    exceeds ``1.5 * target_kl`` the policy phase stops before stepping. Then
    ``train_v_iters`` value steps.

    StopIter is the number of policy steps taken: i when the check before step i stopped the
    phase (what SpinningUp logs then too), ``train_pi_iters`` when it never did. (SpinningUp
    logs its loop index, ``train_pi_iters - 1`` both without a stop and with a stop before
    the last step.)"""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh", *,
                 clip_ratio, pi_lr, vf_lr, train_pi_iters, train_v_iters, target_kl, seed=0,
                 dtype="float32", device=None, compile="none"):
        super().__init__(obs_space, act_space, hidden_sizes, activation, pi_lr=pi_lr,
                         vf_lr=vf_lr, seed=seed, dtype=dtype, device=device, compile=compile)
        self.clip_ratio, self.target_kl = clip_ratio, target_kl
        self.train_pi_iters, self.train_v_iters = train_pi_iters, train_v_iters
        self.policy_iter_c = self.graphed(self.compiled(self.policy_iter))

    # -- learning --------------------------------------------------------------------------
    def update(self, batch):
        """Policy steps until train_pi_iters or the KL check stops them, then train_v_iters
        value steps, on the whole batch (``obs, act, ret, adv, logp``). Returns LossPi, LossV
        and Entropy before the update, Delta* (after minus before), and KL and ClipFrac at
        the policy it ends with, and StopIter."""
        data = self._tensors(batch)
        with torch.no_grad():
            loss_pi_old, (_, ent, _, _) = compute_loss_pi(self.ac, data, self.clip_ratio)
            loss_v_old = compute_loss_v(self.ac, data)

        stop_iter = self.train_pi_iters
        for i in range(self.train_pi_iters):
            kl = self.policy_iter_c(data)
            if kl.item() > 1.5 * self.target_kl:
                stop_iter = i  # the policy left the region the data can vouch for
                break
        with torch.no_grad():
            loss_pi_new, (_, _, kl, clip_frac) = compute_loss_pi(self.ac, data, self.clip_ratio)

        self.fit_value(data)
        with torch.no_grad():
            loss_v_new = compute_loss_v(self.ac, data)

        stats = torch.stack([loss_pi_old, loss_v_old, loss_pi_new - loss_pi_old,
                             loss_v_new - loss_v_old, ent, kl, clip_frac,
                             torch.as_tensor(stop_iter, dtype=self.dtype, device=self.device)])
        self.policy.stale()
        return dict(zip(PPO_UPDATE_KEYS, stats.cpu().tolist()))

    def compute_loss_pi(self, data):
        return compute_loss_pi(self.ac, data, self.clip_ratio)

    def policy_iter(self, data):
        """One policy iteration: the approximate KL from the data's policy, and an Adam step
        unless it exceeds 1.5 * target_kl (decided on the device: the caller reads the KL to
        stop). Returns that KL."""
        limit = 1.5 * self.target_kl
        _, (_, _, kl, _) = self.optimize("pi", self.compute_loss_pi, data,
                                         accept=lambda aux: aux[2].double() <= limit)
        return kl.detach()

    def losses_and_grads(self, batch):
        """For parity tests: log-probs, entropy, both losses, the approximate KL and the clip
        fraction at the current parameters, and the gradients of the two losses (canonical
        names), without changing anything."""
        data = self._tensors(batch)
        self.ac.zero_grad()
        loss_pi, (logp, ent, kl, clip_frac) = compute_loss_pi(self.ac, data, self.clip_ratio)
        loss_v = compute_loss_v(self.ac, data)
        (loss_pi + loss_v).backward()  # disjoint parameters, so the gradients stay apart
        grads = self._canonical(grad=True)
        self.ac.zero_grad()
        return dict(logp=logp.detach().cpu().numpy(), Entropy=ent.item(),
                    LossPi=loss_pi.item(), LossV=loss_v.item(), KL=kl.item(),
                    ClipFrac=clip_frac.item()), grads


ppo_pytorch = make_entry_point(SPEC, "pytorch", PPOLearner, __name__)

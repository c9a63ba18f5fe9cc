"""Trust Region Policy Optimization (and NPG) in PyTorch: the learner. The networks, acting
and checkpoints are shared with VPG and PPO (spinup.algos.pytorch.on_policy); the loop, the
buffer and the conjugate-gradient arithmetic with the JAX backend
(spinup.algos.common.trpo)."""
import torch

from spinup.algos.common.spec import make_entry_point
from spinup.algos.common.trpo import SPEC, TRPO_UPDATE_KEYS, cg_init, cg_step, step_scale
from spinup.algos.pytorch.nets import canonical_items
from spinup.algos.pytorch.on_policy import OnPolicyLearner, compute_loss_v


# ----------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------
def compute_loss_pi(ac, data):
    """The surrogate loss -mean(ratio * adv), ratio = pi(a|s) / pi_old(a|s) (its gradient at
    the data's policy is the policy gradient); also the log-probs and the entropy (averaged
    over samples and action dimensions, as SpinningUp logs it)."""
    pi, logp = ac.pi(data["obs"], data["act"])
    loss_pi = -(torch.exp(logp - data["logp"]) * data["adv"]).mean()
    return loss_pi, (logp, pi.entropy().mean())


def mean_kl(ac, old_pi, obs):
    """The mean over ``obs`` of KL(old || pi), ``old_pi`` the data's policy's distribution."""
    return ac.pi.kl(old_pi, ac.pi.distribution(obs)).mean()


# ----------------------------------------------------------------------------------------------
# Learner
# ----------------------------------------------------------------------------------------------
class TRPOLearner(OnPolicyLearner):
    """The actor-critic, the value function's Adam optimizer, and TRPO's update (acting,
    parameters and checkpoints: OnPolicyLearner).

    The hyperparameters have no defaults here: they live once, in TRPO's spec. The policy's
    step works on its parameters raveled into one vector: the gradient g of the surrogate
    loss, x from ``cg_iters`` CG iterations on ``(H + damping_coeff I) x = g`` (H v by
    differentiating the KL's gradient, built once with its graph, a second time), the full
    step ``sqrt(2 delta / x.Hx) * x``, and for ``variant`` 'trpo' the backtracking line
    search."""

    def __init__(self, obs_space, act_space, hidden_sizes=(64, 64), activation="tanh", *,
                 delta, vf_lr, train_v_iters, damping_coeff, cg_iters, backtrack_iters,
                 backtrack_coeff, variant, seed=0, dtype="float32", device=None,
                 compile="none"):
        super().__init__(obs_space, act_space, hidden_sizes, activation, pi_lr=None,
                         vf_lr=vf_lr, seed=seed, dtype=dtype, device=device, compile=compile)
        self.delta, self.damping_coeff, self.cg_iters = delta, damping_coeff, cg_iters
        self.backtrack_iters, self.backtrack_coeff = backtrack_iters, backtrack_coeff
        self.variant, self.train_v_iters = variant, train_v_iters
        self.pi_names, self.pi_params = zip(*canonical_items(self.ac.pi, "pi"))

    # -- the policy's parameters as one vector ---------------------------------------------
    def _flat(self, tensors):
        return torch.cat([t.reshape(-1) for t in tensors])

    @torch.no_grad()
    def _set_flat(self, flat):
        i = 0
        for p in self.pi_params:
            p.copy_(flat[i:i + p.numel()].view_as(p))
            i += p.numel()

    def _fisher_product(self, data):
        """v -> (H + damping I) v at the current policy, H the Hessian of the mean KL from the
        current policy's distribution on data['obs'] (the data's policy, in an update)."""
        with torch.no_grad():
            old_pi = self.ac.pi.distribution(data["obs"])
        grads = torch.autograd.grad(mean_kl(self.ac, old_pi, data["obs"]), self.pi_params,
                                    create_graph=True)
        grad_kl = self._flat(grads)

        def Hx(v):
            hv = torch.autograd.grad(grad_kl @ v, self.pi_params, retain_graph=True)
            return self._flat(hv) + self.damping_coeff * v
        return Hx, old_pi

    # -- learning --------------------------------------------------------------------------
    def policy_step(self, data):
        """The natural-gradient step and its line search, applied to the policy. Returns what
        the parity tests compare: the losses before and after, the entropy, the gradient g,
        the CG solution x, the full step, the KL and the accepted try."""
        loss_old, (_, ent) = compute_loss_pi(self.ac, data)
        g = self._flat(torch.autograd.grad(loss_old, self.pi_params))
        loss_old, ent = loss_old.detach(), ent.detach()
        Hx, old_pi = self._fisher_product(data)
        state = cg_init(g)
        for _ in range(self.cg_iters):
            state = cg_step(Hx, state)
        x = state[0]
        full_step = (step_scale(x, Hx(x), self.delta) * x).detach()
        flat = self._flat(self.pi_params).detach()

        @torch.no_grad()
        def evaluate(f):  # the policy set to f: its KL and loss
            self._set_flat(f)
            return mean_kl(self.ac, old_pi, data["obs"]), compute_loss_pi(self.ac, data)[0]

        tries = 0
        if self.variant == "npg":
            kl_new, loss_new = evaluate(flat - full_step)
        else:
            for tries in range(self.backtrack_iters):
                kl_new, loss_new = evaluate(flat - self.backtrack_coeff ** tries * full_step)
                if kl_new.item() <= self.delta and loss_new.item() <= loss_old.item():
                    break
            else:  # none accepted: the policy stays where it was, and BacktrackIters says so
                tries = self.backtrack_iters
                kl_new, loss_new = evaluate(flat)
        return dict(LossPi=loss_old, DeltaLossPi=loss_new - loss_old, Entropy=ent, KL=kl_new,
                    BacktrackIters=torch.as_tensor(tries, dtype=self.dtype, device=self.device),
                    g=g.detach(), x=x.detach(), full_step=full_step)

    def update(self, batch):
        """The policy's step, then train_v_iters value steps, on the whole batch (``obs, act,
        ret, adv, logp``). Returns LossPi, LossV and Entropy before the update, Delta* (after
        minus before), the KL of the policy it ends with and, for 'trpo', BacktrackIters."""
        data = self._tensors(batch)
        info = self.policy_step(data)
        loss_v_old = self.fit_value(data)
        with torch.no_grad():
            loss_v_new = compute_loss_v(self.ac, data)
        info = dict(info, LossV=loss_v_old, DeltaLossV=loss_v_new - loss_v_old)
        stats = torch.stack([info[k] for k in TRPO_UPDATE_KEYS])
        self.policy.stale()
        out = dict(zip(TRPO_UPDATE_KEYS, stats.cpu().tolist()))
        if self.variant == "npg":
            del out["BacktrackIters"]
        return out

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

    def fisher_product(self, batch, vector):
        """For parity tests: (H + damping I) v at the current policy, ``vector`` and the
        result by canonical name."""
        Hx = self._fisher_product(self._tensors(batch))[0]
        return self._canonical_pi(Hx(self._flat_canonical(vector)))

    def step_details(self, batch):
        """For parity tests: what the policy's step computes (g, x and the full step by
        canonical name; losses, KL, BacktrackIters), without changing anything."""
        flat = self._flat(self.pi_params).detach().clone()
        info = self.policy_step(self._tensors(batch))
        self._set_flat(flat)
        return {k: (self._canonical_pi(v) if k in ("g", "x", "full_step") else v.item())
                for k, v in info.items()}

    def _canonical_pi(self, flat):
        out, i = {}, 0
        for name, p in zip(self.pi_names, self.pi_params):
            arr = flat[i:i + p.numel()].view_as(p).detach().cpu().numpy()
            out[name] = arr.T.copy() if name.endswith("/w") else arr.copy()
            i += p.numel()
        return out

    def _flat_canonical(self, canonical):
        return self._flat([self._tensor(canonical[n].T if n.endswith("/w") else canonical[n])
                           for n in self.pi_names])


trpo_pytorch = make_entry_point(SPEC, "pytorch", TRPOLearner, __name__)

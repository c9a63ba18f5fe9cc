"""DDPG (Lillicrap et al. 2016, as SpinningUp writes it) in PyTorch: the learner. The loop,
the replay buffer and the exploration noise are the off-policy family's, shared with the JAX
backend; what every off-policy learner does beside its losses and updates is in
spinup.algos.pytorch.off_policy."""
import torch

from spinup.algos.common.ddpg import SPEC
from spinup.algos.common.nets import init_deterministic_actor_critic
from spinup.algos.common.spec import make_entry_point
from spinup.algos.pytorch.ddpg import core
from spinup.algos.pytorch.off_policy import OffPolicyLearner, frozen


class DDPGLearner(OffPolicyLearner):
    """Actor, critic, their targets and optimizers. ``update`` runs one block of updates on
    minibatches shaped ``[n_updates, batch, ...]``."""

    NETS = ("pi", "q")
    TARGET_NETS = ("pi", "q")

    def __init__(self, obs_space, act_space, hidden_sizes=(256, 256), activation="relu", *,
                 gamma, polyak, pi_lr, q_lr, act_noise, seed=0, dtype="float32", device=None):
        super().__init__(obs_space, act_space, activation, seed, dtype, device)
        self.gamma, self.polyak, self.act_noise = gamma, polyak, act_noise
        self.build_networks(
            lambda: core.MLPActorCritic(self.obs_dim, self.act_dim, self.act_limit_np,
                                        hidden_sizes, activation),
            init_deterministic_actor_critic(self.obs_dim, self.act_dim, hidden_sizes, seed,
                                            ("q",)))
        # A list, not an iterator: it is walked again at every policy step to freeze Q.
        self.q_params = list(self.ac.q.parameters())
        self.pi_optimizer = torch.optim.Adam(self.ac.pi.parameters(), lr=pi_lr)
        self.q_optimizer = torch.optim.Adam(self.q_params, lr=q_lr)
        self.optimizers = dict(pi=self.pi_optimizer, q=self.q_optimizer)

    # --- DDPG's losses ---------------------------------------------------------------------

    @torch.no_grad()
    def compute_targets(self, data):
        """Bellman backup through the target actor and critic."""
        pi_targ = self.ac_targ.pi(data["obs2"])
        q_pi_targ = self.ac_targ.q(data["obs2"], pi_targ)
        return data["rew"] + self.gamma * (1 - data["done"]) * q_pi_targ

    def compute_loss_q(self, data):
        """MSE of Q against the (constant) backup; also Q for logging."""
        q = self.ac.q(data["obs"], data["act"])
        backup = self.compute_targets(data)
        loss_q = ((q - backup) ** 2).mean()
        return loss_q, q.detach()

    def compute_loss_pi(self, data):
        """-Q(s, pi(s)).mean()."""
        q_pi = self.ac.q(data["obs"], self.ac.pi(data["obs"]))
        return -q_pi.mean()

    # --- One update, and a block of them ---------------------------------------------------

    def update_q(self, data):
        """One Adam step on the critic."""
        self.q_optimizer.zero_grad()
        loss_q, q = self.compute_loss_q(data)
        loss_q.backward()
        self.q_optimizer.step()
        return loss_q.detach(), q

    def update_pi(self, data):
        """One Adam step on the actor, the critic frozen."""
        with frozen(self.q_params):
            self.pi_optimizer.zero_grad()
            loss_pi = self.compute_loss_pi(data)
            loss_pi.backward()
            self.pi_optimizer.step()
        return loss_pi.detach()

    def update_one(self, data):
        """One update: a Q step, a policy step, then the polyak update of both targets."""
        loss_q, q = self.update_q(data)
        loss_pi = self.update_pi(data)
        self.update_targets()
        return loss_q, q, loss_pi

    def update_block(self, data, noise):
        """The updates of a block one after the other (DDPG draws no noise: ``noise`` is
        None). Returns LossQ ``[n]``, LossPi ``[n]``, QVals ``[n, batch]``."""
        out = [self.update_one({k: v[j] for k, v in data.items()})
               for j in range(data["rew"].shape[0])]
        loss_q, q, loss_pi = zip(*out)
        return dict(LossQ=torch.stack(loss_q), LossPi=torch.stack(loss_pi),
                    QVals=torch.stack(q))

    def draw_noise(self, n_updates, batch_size):
        """None: DDPG's updates are deterministic."""
        return None

    # --- Inspection (parity tests) ---------------------------------------------------------

    def diagnose(self, batch):
        """From the current parameters, without updating: the Q targets, LossQ, LossPi and
        the gradients of both losses ('grad/q/0/w', 'grad/pi/0/w', ...) for one minibatch."""
        data = {k: self._tensor(v) for k, v in batch.items()}
        loss_q, _ = self.compute_loss_q(data)
        loss_pi = self.compute_loss_pi(data)
        out = dict(Targ=self.compute_targets(data), LossQ=loss_q.detach(),
                   LossPi=loss_pi.detach())
        out = {k: v.cpu().numpy() for k, v in out.items()}
        out.update(self.gradients(loss_q, ("q",)))
        out.update(self.gradients(loss_pi, ("pi",)))
        return out


ddpg_pytorch = make_entry_point(SPEC, "pytorch", DDPGLearner, __name__)

"""Proximal Policy Optimization (PPO-Clip), its facts held once for both backends: arguments
and defaults (SpinningUp's), their documentation and checks, and what its update logs. The
loop is the on-policy family's (``spinup.algos.common.on_policy``); the learners are
``spinup/algos/{pytorch,jax}/ppo/ppo.py``."""
from spinup.algos.common import checks
from spinup.algos.common.spec import AlgoSpec

DEFAULTS = dict(
    ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=50, gamma=0.99, clip_ratio=0.2,
    pi_lr=3e-4, vf_lr=1e-3, train_pi_iters=80, train_v_iters=80, lam=0.97, max_ep_len=1000,
    target_kl=0.01, logger_kwargs=dict(), save_freq=10, num_envs=1, async_envs=False,
    profile="none", profile_warmup=1)

# What update() returns, in the order SpinningUp logs it.
PPO_UPDATE_KEYS = ("LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL", "ClipFrac",
                   "StopIter")

ARG_DOCS = dict(
    clip_ratio="""\
clip_ratio (float): Hyperparameter for clipping in the policy objective. Roughly: how far
    can the new policy go from the old policy while still profiting (improving the
    objective function)? The new policy can still go farther than the clip_ratio says, but
    it doesn't help on the objective anymore. (Usually small, 0.1 to 0.3.) Typically
    denoted by :math:`\\epsilon`.""",
    train_pi_iters="""\
train_pi_iters (int): Maximum number of gradient descent steps to take on the policy loss
    per epoch. (Early stopping may cause the optimizer to take fewer than this.)""",
    target_kl="""\
target_kl (float): Roughly what KL divergence we think is appropriate between new and old
    policies after an update. This will get used for early stopping: the policy phase stops
    before a step once the approximate KL from the data's policy exceeds 1.5 * target_kl.
    (Usually small, 0.01 or 0.05.)""",
)


def check(env, kw):
    """PPO's own arguments (the on-policy family checked the rest)."""
    for name in ("train_pi_iters", "train_v_iters"):
        kw[name] = checks.positive_int(name, kw[name])
    for name in ("pi_lr", "vf_lr", "clip_ratio", "target_kl"):
        kw[name] = checks.positive_number(name, kw[name])
    return kw


SPEC = AlgoSpec(
    name="ppo", family="on_policy", defaults=DEFAULTS,
    title="Proximal Policy Optimization (by clipping), with early stopping based on "
          "approximate KL",
    intro="""\
Each epoch collects ``steps_per_epoch`` steps with the current stochastic policy, then takes
up to ``train_pi_iters`` full-batch Adam steps on the clipped surrogate
``-mean(min(ratio * adv, clip(ratio, 1-clip_ratio, 1+clip_ratio) * adv))``, stopping early
when the approximate KL from the data's policy exceeds ``1.5 * target_kl``, then
``train_v_iters`` full-batch Adam steps on the value loss ``((V(s) - ret)**2).mean()``.""",
    arg_docs=ARG_DOCS,
    logs="""\
Logs per epoch: Epoch, EpRet (avg/std/min/max), EpLen, VVals (avg/std/min/max),
TotalEnvInteracts, LossPi, LossV (both before the update), DeltaLossPi, DeltaLossV (after
minus before), Entropy (before), KL and ClipFrac (of the policy after its phase, against the
data's), StopIter (the policy steps taken), TimeEnv, TimeAct, TimeUpdate, TimeTest, TimeEpoch
(seconds this epoch) and Time (seconds since the start).""",
    hidden_sizes=(64, 64), activation="tanh",
    learner_args=("clip_ratio", "pi_lr", "vf_lr", "train_pi_iters", "train_v_iters",
                  "target_kl", "seed"),
    check=check,
    columns=lambda args: [(k, "avg") for k in PPO_UPDATE_KEYS],
    finite=("*",),
    finite_hint="Causes: NaN/inf rewards or observations from the environment, or learning "
                "rates too large.",
    # every one of the 80 policy steps timed, whatever the KL (80x VPG's: fewer repetitions)
    bench_hyper=dict(train_pi_iters=80, target_kl=1e9),
    bench_reps=(dict(n_reps=2), dict(n_reps=6)))

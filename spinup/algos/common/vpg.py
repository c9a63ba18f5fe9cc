"""Vanilla Policy Gradient, its facts held once for both backends: arguments and defaults
(SpinningUp's), their documentation and checks, the initial parameters, and what its update
logs. The loop is the on-policy family's (``spinup.algos.common.on_policy``); the learners
are ``spinup/algos/{pytorch,jax}/vpg/vpg.py`` (on-policy learners add ``sample_logp`` and
``value``)."""
from spinup.algos.common import checks
from spinup.algos.common.envs import obs_dim
from spinup.algos.common.nets import init_stochastic_actor_critic
from spinup.algos.common.spec import AlgoSpec

DEFAULTS = dict(
    ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=50, gamma=0.99, pi_lr=3e-4,
    vf_lr=1e-3, train_v_iters=80, lam=0.97, max_ep_len=1000, logger_kwargs=dict(),
    save_freq=10, num_envs=1, async_envs=False, profile="none", profile_warmup=1)

# What update() returns, in the order SpinningUp logs it.
VPG_UPDATE_KEYS = ("LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL")

# VPG's own arguments mean what they mean for PPO: the family documents them
# (on_policy.ARG_DOCS).
ARG_DOCS = {}


def check(env, kw):
    """VPG's own arguments (the on-policy family checked the rest)."""
    kw["train_v_iters"] = checks.positive_int("train_v_iters", kw["train_v_iters"])
    for name in ("pi_lr", "vf_lr"):
        kw[name] = checks.positive_number(name, kw[name])
    return kw


def init_vpg_params(obs_space, act_space, hidden_sizes, seed):
    """Canonical initial parameters of the actor ('pi/...') and critic ('v/...'), drawn with
    NumPy so that both backends start from the same networks for the same seed."""
    return init_stochastic_actor_critic(obs_dim(obs_space), act_space, hidden_sizes, seed)


SPEC = AlgoSpec(
    name="vpg", family="on_policy", defaults=DEFAULTS,
    title="Vanilla Policy Gradient (with GAE-Lambda advantage estimation).",
    intro="""\
Each epoch collects ``steps_per_epoch`` steps with the current stochastic policy, takes ONE
full-batch Adam step on the policy loss ``-(logp(a|s) * adv).mean()``, then
``train_v_iters`` full-batch Adam steps on the value loss ``((V(s) - ret)**2).mean()``.""",
    arg_docs=ARG_DOCS,
    logs="""\
Logs per epoch: Epoch, EpRet (avg/std/min/max), EpLen, VVals (avg/std/min/max),
TotalEnvInteracts, LossPi, LossV (both before the update), DeltaLossPi, DeltaLossV (after
minus before), Entropy (before; per action dimension for a Box, as SpinningUp), KL (between
the policy that collected the data and the policy after its step), TimeEnv, TimeAct,
TimeUpdate, TimeTest, TimeEpoch (seconds this epoch) and Time (seconds since the start).""",
    hidden_sizes=(64, 64), activation="tanh",
    learner_args=("pi_lr", "vf_lr", "train_v_iters", "seed"),
    check=check,
    columns=lambda args: [(k, "avg") for k in VPG_UPDATE_KEYS],
    finite=("*",),
    finite_hint="Causes: NaN/inf rewards or observations from the environment, or learning "
                "rates too large.")

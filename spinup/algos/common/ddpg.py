"""Deep Deterministic Policy Gradient (DDPG), its facts held once for both backends:
arguments and defaults (SpinningUp's), their documentation and checks, and what its updates
log. The loop is the off-policy family's (``spinup.algos.common.off_policy``); the learners
are ``spinup/algos/{pytorch,jax}/ddpg/ddpg.py``."""
from spinup.algos.common import checks
from spinup.algos.common.off_policy import LOGS
from spinup.algos.common.spec import AlgoSpec

DEFAULTS = dict(
    ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=100, replay_size=int(1e6),
    gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3, batch_size=100, start_steps=10000,
    update_after=1000, update_every=50, act_noise=0.1, num_test_episodes=10, max_ep_len=1000,
    logger_kwargs=dict(), save_freq=1, save_buffer=False, num_envs=1, async_envs=False,
    profile="none", profile_warmup=1)

ARG_DOCS = dict(
    ac_kwargs="""\
ac_kwargs (dict): The actor and critic: ``hidden_sizes`` (default (256, 256)) and
    ``activation`` (default 'relu'; a name such as 'tanh', or a framework's activation).
    The actor is ``act_limit * tanh(mlp(obs))``; the critic Q is an MLP on
    ``concat(obs, act)``.""",
)


def check(env, kw):
    """DDPG's own arguments (the off-policy family checked the rest)."""
    for name in ("pi_lr", "q_lr"):
        kw[name] = checks.positive_number(name, kw[name])
    kw["act_noise"] = checks.number_in("act_noise", kw["act_noise"], 0.0)
    return kw


SPEC = AlgoSpec(
    name="ddpg", family="off_policy", defaults=DEFAULTS,
    title="Deep Deterministic Policy Gradient (DDPG)",
    intro="""\
A Q-function learned from the Bellman backup through target networks, and a deterministic
policy that ascends it; after each critic step one policy step, then polyak averaging of
both target networks.""",
    arg_docs=ARG_DOCS,
    logs=f"""\
Logs per epoch (Epoch counts from 1): {LOGS}, QVals (avg/std/min/max), LossPi, LossQ,
TimeEnv, TimeAct, TimeUpdate, TimeTest, TimeEpoch (seconds this epoch) and Time (since the
start).""",
    hidden_sizes=(256, 256), activation="relu",
    learner_args=("gamma", "polyak", "pi_lr", "q_lr", "act_noise", "seed"),
    check=check,
    columns=lambda args: [("QVals", "minmax"), ("LossPi", "avg"), ("LossQ", "avg")],
    finite=("LossQ", "LossPi"),
    finite_hint="Lower the learning rates (pi_lr, q_lr) or check the environment's rewards.",
    deterministic_policy=True)

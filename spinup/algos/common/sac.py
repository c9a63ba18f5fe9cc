"""Soft Actor-Critic (SAC), its facts held once for both backends: arguments and defaults
(SpinningUp's, plus ``alpha='auto'``), their documentation and checks, and what its updates
log. The loop is the off-policy family's (``spinup.algos.common.off_policy``); the learners
are ``spinup/algos/{pytorch,jax}/sac/sac.py``."""
from spinup.algos.common import checks
from spinup.algos.common.checks import InputError
from spinup.algos.common.off_policy import LOGS
from spinup.algos.common.spec import AlgoSpec

DEFAULTS = dict(
    ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=100, replay_size=int(1e6),
    gamma=0.99, polyak=0.995, lr=1e-3, alpha=0.2, batch_size=100, start_steps=10000,
    update_after=1000, update_every=50, num_test_episodes=10, max_ep_len=1000,
    logger_kwargs=dict(), save_freq=1, save_buffer=False, num_envs=1, async_envs=False,
    profile="none", profile_warmup=1)

ARG_DOCS = dict(
    ac_kwargs="""\
ac_kwargs (dict): The actor and critics: ``hidden_sizes`` (default (256, 256)) and
    ``activation`` (default 'relu'; a name such as 'tanh', or a framework's activation).
    The actor is a squashed Gaussian: an MLP body, linear heads for the mean and the
    log-std (clamped to [-20, 2]), ``act_limit * tanh(u)`` of a sample u; the critics Q1,
    Q2 are MLPs on ``concat(obs, act)``.""",
    lr="lr (float): Learning rate (used for the policy, the Q-networks and a learned alpha).",
    alpha="""\
alpha (float or 'auto'): Entropy regularization coefficient (equivalent to the inverse of
    the reward scale in the original SAC paper), fixed during training (SpinningUp), or
    'auto': learned, with log(alpha) starting at 0 and trained so that the policy's entropy
    tracks a target of -act_dim (the form CleanRL and Stable-Baselines3 default to).""",
    num_test_episodes="""\
num_test_episodes (int): Number of episodes to test the policy's mean action
    (``act_limit * tanh(mu)``) at the end of each epoch.""",
)


def check(env, kw):
    """SAC's own arguments (the off-policy family checked the rest)."""
    kw["lr"] = checks.positive_number("lr", kw["lr"])
    if kw["alpha"] != "auto":
        try:
            kw["alpha"] = checks.positive_number("alpha", kw["alpha"])
        except InputError:
            raise InputError(f"alpha={kw['alpha']!r}: expected a number > 0 (a fixed "
                             "temperature) or 'auto' (learned)") from None
    return kw


def columns(args):
    """SpinningUp's SAC statistics, then the temperature (and its loss when learned)."""
    cols = [("Q1Vals", "minmax"), ("Q2Vals", "minmax"), ("LogPi", "minmax"),
            ("LossPi", "avg"), ("LossQ", "avg"), ("Alpha", "avg")]
    return cols + [("LossAlpha", "avg")] if args["alpha"] == "auto" else cols


SPEC = AlgoSpec(
    name="sac", family="off_policy", defaults=DEFAULTS,
    title="Soft Actor-Critic (SAC)",
    intro="""\
A squashed-Gaussian policy trained to maximise the minimum of twin soft Q-functions plus
alpha times its entropy; the Q targets use the next action sampled from the current policy
and polyak-averaged target critics (there is no target policy).""",
    arg_docs=ARG_DOCS,
    logs=f"""\
Logs per epoch (Epoch counts from 1): {LOGS}, Q1Vals, Q2Vals, LogPi (avg/std/min/max),
LossPi, LossQ, Alpha (and LossAlpha with alpha='auto'), TimeEnv, TimeAct, TimeUpdate,
TimeTest, TimeEpoch (seconds this epoch) and Time (since the start).""",
    hidden_sizes=(256, 256), activation="relu",
    learner_args=("gamma", "polyak", "lr", "alpha", "seed"),
    check=check,
    columns=columns,
    finite=("LossQ", "LossPi", "LossAlpha"),
    finite_hint="Lower the learning rate (lr), or check the environment's rewards.")

"""TD3 (Fujimoto et al. 2018), its facts held once for both backends: arguments and defaults
(SpinningUp's), their documentation and checks, the initial parameters, and what its updates
log. The loop is the off-policy family's (``spinup.algos.common.off_policy``); the learners
are ``spinup/algos/{pytorch,jax}/td3/td3.py``."""
from spinup.algos.common import checks
from spinup.algos.common.nets import init_deterministic_actor_critic
from spinup.algos.common.off_policy import LOGS, _count
from spinup.algos.common.spec import AlgoSpec

DEFAULTS = dict(
    ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=100, replay_size=int(1e6),
    gamma=0.99, polyak=0.995, pi_lr=1e-3, q_lr=1e-3, batch_size=100, start_steps=10000,
    update_after=1000, update_every=50, act_noise=0.1, target_noise=0.2, noise_clip=0.5,
    policy_delay=2, num_test_episodes=10, max_ep_len=1000, logger_kwargs=dict(), save_freq=1,
    save_buffer=False, num_envs=1, async_envs=False, profile="none", profile_warmup=1)

ARG_DOCS = dict(
    ac_kwargs="""\
ac_kwargs (dict): The actor and critics: ``hidden_sizes`` (default (256, 256)) and
    ``activation`` (default 'relu'; a name such as 'tanh', or a framework's activation).
    The actor is ``act_limit * tanh(mlp(obs))``; the critics Q1, Q2 are MLPs on
    ``concat(obs, act)``.""",
    target_noise="""\
target_noise (float): Stddev for smoothing noise added to target policy (drawn per sample
    and per action dimension).""",
    noise_clip="noise_clip (float): Limit for absolute value of target policy smoothing noise.",
    policy_delay="""\
policy_delay (int): Policy will only be updated once every policy_delay times for each
    update of the Q-networks (update j of a block updates the policy and the target
    networks when j % policy_delay == 0).""",
)


def check(env, kw):
    """TD3's own arguments (the off-policy family checked the rest)."""
    kw["policy_delay"] = _count("policy_delay", kw["policy_delay"], 1)
    for name in ("pi_lr", "q_lr"):
        kw[name] = checks.positive_number(name, kw[name])
    for name in ("act_noise", "target_noise", "noise_clip"):
        kw[name] = checks.number_in(name, kw[name], 0.0)
    return kw


def init_td3_params(obs_dim, act_dim, hidden_sizes, seed):
    """Canonical initial parameters: actor 'pi', critics 'q1', 'q2', and target copies
    'pi_targ', 'q1_targ', 'q2_targ' equal to them (drawn in NumPy: the same in both
    backends)."""
    return init_deterministic_actor_critic(obs_dim, act_dim, hidden_sizes, seed, ("q1", "q2"))


SPEC = AlgoSpec(
    name="td3", family="off_policy", defaults=DEFAULTS,
    title="Twin Delayed Deep Deterministic Policy Gradient (TD3)",
    intro="""\
Twin critics whose minimum forms the target, target policy smoothing, and a policy (and
target networks) updated every policy_delay critic updates.""",
    arg_docs=ARG_DOCS,
    logs=f"""\
Logs per epoch (Epoch counts from 1): {LOGS}, Q1Vals, Q2Vals (avg/std/min/max), LossPi,
LossQ, TimeEnv, TimeAct, TimeUpdate, TimeTest, TimeEpoch (seconds this epoch) and Time
(since the start).""",
    hidden_sizes=(256, 256), activation="relu",
    learner_args=("gamma", "polyak", "pi_lr", "q_lr", "act_noise", "target_noise",
                  "noise_clip", "policy_delay", "seed"),
    check=check,
    columns=lambda args: [("Q1Vals", "minmax"), ("Q2Vals", "minmax"), ("LossPi", "avg"),
                          ("LossQ", "avg")],
    finite=("LossQ", "LossPi"),
    finite_hint="Lower the learning rates (pi_lr, q_lr) or check the environment's rewards.",
    deterministic_policy=True)

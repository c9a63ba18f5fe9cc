"""Trust Region Policy Optimization (and the Natural Policy Gradient), its facts held once for
both backends: arguments and defaults (SpinningUp's TF1 version; SpinningUp has no PyTorch
TRPO), their documentation and checks, what its update logs, and the two pieces of its
update that are plain arithmetic: conjugate gradient and the step scale. The loop is the
on-policy family's (``spinup.algos.common.on_policy``); the learners are
``spinup/algos/{pytorch,jax}/trpo/trpo.py``.

Nothing here imports torch or jax: ``cg_init``/``cg_step`` and ``step_scale`` take either
framework's arrays (they use only ``*``, ``+``, ``-``, ``/``, ``.sum()`` and ``** 0.5``), so the
two backends run the same CG and differ only in how they loop over it."""
from spinup.algos.common import checks
from spinup.algos.common.spec import AlgoSpec

DEFAULTS = dict(
    ac_kwargs=dict(), seed=0, steps_per_epoch=4000, epochs=50, gamma=0.99, delta=0.01,
    vf_lr=1e-3, train_v_iters=80, damping_coeff=0.1, cg_iters=10, backtrack_iters=10,
    backtrack_coeff=0.8, lam=0.97, max_ep_len=1000, logger_kwargs=dict(), save_freq=10,
    algo="trpo", num_envs=1, async_envs=False, profile="none", profile_warmup=1)

VARIANTS = ("trpo", "npg")

# What update() returns, in the order it is logged. NPG logs no BacktrackIters (SpinningUp's
# columns); its update returns 0 there.
TRPO_UPDATE_KEYS = ("LossPi", "LossV", "DeltaLossPi", "DeltaLossV", "Entropy", "KL",
                    "BacktrackIters")

# SpinningUp's small constant against division by zero in CG and the step scale.
EPS = 1e-8

ARG_DOCS = dict(
    delta="""\
delta (float): KL-divergence limit for TRPO / NPG update. (Should be small for stability.
    Values like 0.01, 0.05.) The full step is scaled so that the quadratic model of the mean
    KL(old || new) equals delta; the line search also checks the real mean KL against it.""",
    vf_lr="vf_lr (float): Learning rate for the value function optimizer (Adam).",
    damping_coeff="""\
damping_coeff (float): Artifact for numerical stability, should be smallish. Adjusts
    Hessian-vector product calculation: Hv -> (alpha * I + H) v, where alpha is the damping
    coefficient. Probably don't play with this hyperparameter.""",
    cg_iters="""\
cg_iters (int): Number of iterations of conjugate gradient to perform. Increasing this
    will lead to a more accurate approximation to H^{-1} g, and possibly slightly-improved
    performance, but at the cost of slowing things down. Also probably don't play with
    this hyperparameter.""",
    backtrack_iters="""\
backtrack_iters (int): Maximum number of steps allowed in the backtracking line search.
    Since the line search usually doesn't backtrack, and usually only steps back once when
    it does, this hyperparameter doesn't often matter.""",
    backtrack_coeff="""\
backtrack_coeff (float): How far back to step during backtracking line search, in (0, 1):
    the j-th try is backtrack_coeff**j times the full step.""",
    algo="""\
algo (str): Either 'trpo' (the full step, then a backtracking line search that accepts
    the first try with mean KL <= delta and a surrogate loss no higher than before, or keeps
    the old policy when none does) or 'npg' (the full step, no line search). config.json
    holds it as ``variant`` (its ``algo`` names the entry point, 'trpo_jax').""",
)


def check(env, kw):
    """TRPO's own arguments (the on-policy family checked the rest)."""
    for name in ("train_v_iters", "cg_iters", "backtrack_iters"):
        kw[name] = checks.positive_int(name, kw[name])
    for name in ("delta", "vf_lr"):
        kw[name] = checks.positive_number(name, kw[name])
    kw["damping_coeff"] = checks.number_in("damping_coeff", kw["damping_coeff"], 0.0,
                                           float("inf"))
    kw["backtrack_coeff"] = checks.number_in("backtrack_coeff", kw["backtrack_coeff"], 0.0,
                                             1.0, lo_open=True, hi_open=True)
    kw["variant"] = checks.one_of("algo", kw["variant"], VARIANTS)
    return kw


def columns(args):
    keys = TRPO_UPDATE_KEYS if args["variant"] == "trpo" else TRPO_UPDATE_KEYS[:-1]
    return [(k, "avg") for k in keys]


# ----------------------------------------------------------------------------------------------
# The arithmetic both backends share
# ----------------------------------------------------------------------------------------------
def cg_init(b):
    """The state (x, r, p, r.r) of conjugate gradient solving A x = b from x = 0."""
    return (b * 0, b, b, (b * b).sum())


def cg_step(Ax, state):
    """One iteration of conjugate gradient (SpinningUp's: EPS in the step's denominator).
    Converged exactly (r.r = 0), the direction stops instead of turning into 0/0."""
    x, r, p, rr = state
    z = Ax(p)
    alpha = rr / ((p * z).sum() + EPS)
    x, r = x + alpha * p, r - alpha * z
    rr_new = (r * r).sum()
    beta = rr_new / (rr + (rr == 0))
    return x, r, r + beta * p, rr_new


def step_scale(x, Hx, delta):
    """The factor that puts ``x`` on the KL radius of the quadratic model:
    sqrt(2 delta / (x.Hx))."""
    return (2 * delta / ((x * Hx).sum() + EPS)) ** 0.5


SPEC = AlgoSpec(
    name="trpo", family="on_policy", defaults=DEFAULTS,
    title="Trust Region Policy Optimization (with support for Natural Policy Gradient)",
    intro="""\
Each epoch collects ``steps_per_epoch`` steps with the current stochastic policy. The policy
then takes one natural-gradient step: g, the gradient of the surrogate loss
``-mean(ratio * adv)`` at the data's policy; x, ``cg_iters`` iterations of conjugate gradient
on ``(H + damping_coeff * I) x = g`` with H the Hessian of the mean KL(old || new) (products
``Hv`` by differentiating twice, never a matrix); the full step ``sqrt(2 delta / x.Hx) * x``.
'trpo' backtracks along it (``backtrack_coeff**j`` times the step, j = 0, 1, ...) to the
first try that keeps the mean KL within ``delta`` without raising the surrogate loss; 'npg'
takes the full step. Then ``train_v_iters`` full-batch Adam steps on the value loss
``((V(s) - ret)**2).mean()``.""",
    arg_docs=ARG_DOCS,
    logs="""\
Logs per epoch: Epoch, EpRet (avg/std/min/max), EpLen, VVals (avg/std/min/max),
TotalEnvInteracts, LossPi, LossV (both before the update), DeltaLossPi, DeltaLossV (after
minus before), Entropy (before), KL (the mean KL from the data's policy to the one the
update ends with), BacktrackIters ('trpo' only: the try accepted, counting from 0;
backtrack_iters when the search accepted none and kept the old policy. SpinningUp logs
backtrack_iters - 1 then, the same as a last-try acceptance), TimeEnv, TimeAct,
TimeUpdate, TimeTest, TimeEpoch (seconds this epoch) and Time (seconds since the start).""",
    hidden_sizes=(64, 64), activation="tanh",
    learner_args=("delta", "vf_lr", "train_v_iters", "damping_coeff", "cg_iters",
                  "backtrack_iters", "backtrack_coeff", "variant", "seed"),
    check=check,
    columns=columns,
    finite=("*",),
    finite_hint="Causes: NaN/inf rewards or observations from the environment, delta too "
                "large, or damping_coeff too small for the Fisher matrix.",
    config_names={"algo": "variant"})

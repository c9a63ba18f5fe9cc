"""An algorithm, as its family's loop sees it: a small spec.

Each algorithm (``spinup/algos/common/<algo>.py``) holds its facts once, shared by both
backends: its arguments with their defaults and the docstring that explains them, the check
of its own arguments, its default networks, which learner arguments config.json rebuilds a
learner from, the columns its updates log and which of them must stay finite. Its family
(``on_policy`` for VPG, PPO and TRPO, ``off_policy`` for DDPG, TD3 and SAC) supplies the loop and
the checks every member shares. A backend supplies only the learner; ``make_entry_point``
turns spec + learner into SpinningUp's function (``td3_jax(env_fn, ac_kwargs=dict(), ...)``).

Importing this module imports neither torch nor jax.
"""
import importlib
import inspect
import re
from dataclasses import dataclass, field
from typing import Callable, Tuple

from spinup.algos.common import checks, envs
from spinup.utils import quiet

FAMILIES = {"on_policy": "spinup.algos.common.on_policy",
            "off_policy": "spinup.algos.common.off_policy"}


@dataclass(frozen=True)
class AlgoSpec:
    """What one algorithm tells its family's loop."""
    name: str                 # 'td3'
    family: str               # 'on_policy' or 'off_policy'
    defaults: dict            # every argument after env_fn, in signature order, with default
    title: str                # the docstring's first line
    intro: str                # what the algorithm does, in a few sentences
    arg_docs: dict            # the algorithm's own arguments (the family documents the rest)
    logs: str                 # what each epoch's row holds
    hidden_sizes: Tuple[int, ...]   # default networks (ac_kwargs)
    activation: str
    learner_args: Tuple[str, ...]   # hyperparameters the learner's constructor takes
    check: Callable           # check(env, kw) -> kw: this algorithm's own arguments
    columns: Callable         # columns(args) -> [(statistic, 'minmax' | 'avg'), ...]
    finite: Tuple[str, ...]   # statistics that must stay finite ('*': all of them)
    finite_hint: str          # what to try when one does not
    backend_defaults: dict = field(default_factory=lambda: {
        "pytorch": {"device": None, "compile": "none"}})
    # The actor is a function of the observation (TD3, DDPG): act(deterministic=False) only
    # adds exploration noise, which a trained policy is run without.
    deterministic_policy: bool = False
    # `bench` (the update timed alone): learner hyperparameters it fixes so that the work
    # timed does not depend on the data, and its repetitions (quick, full) where the family's
    # would take too long.
    bench_hyper: dict = field(default_factory=dict)
    bench_reps: tuple = None
    # Arguments that config.json (and the checked arguments, the learner) hold under another
    # name, {signature name: config name}: TRPO's SpinningUp argument ``algo`` is its
    # ``variant``, since config.json's 'algo' names the entry point.
    config_names: dict = field(default_factory=dict)

    def loop(self):
        """The family's module: ``check_args``, ``train``."""
        return importlib.import_module(FAMILIES[self.family])

    def check_args(self, env, kwargs):
        """Every argument checked (the family's checks, then the algorithm's own), with the
        defaults filled in; raises InputError naming the first bad value."""
        kw = self.to_config_names(kwargs)
        checks.actor_critic(kw.pop("actor_critic", None))
        kw["ac_kwargs"] = checks.ac_kwargs(kw.get("ac_kwargs"), self.hidden_sizes,
                                           self.activation)
        kw = self.loop().check_args(self, env, kw)
        kw = self.check(env, kw)
        if "device" in kw:
            kw["device"] = checks.device(kw["device"])
        if "compile" in kw:
            kw["compile"] = checks.compile_mode(kw["compile"], kw.get("device"))
        return kw

    def to_config_names(self, kwargs):
        """``kwargs`` with each argument under its config.json name (``config_names``).
        Arguments already under that name stay (a config.json's 'algo' is the entry point)."""
        kw = dict(kwargs)
        for name, config_name in self.config_names.items():
            if name in kw and config_name not in kw:
                kw[config_name] = kw.pop(name)
        return kw

    def from_config_names(self, kwargs):
        """The inverse of ``to_config_names``: arguments as the signature names them."""
        back = {c: n for n, c in self.config_names.items()}
        return {back.get(k, k): v for k, v in kwargs.items()}

    def config_parameters(self, backend):
        """The argument names config.json holds (the signature's, ``config_names`` applied)."""
        return [self.config_names.get(p, p) for p in self.signature(backend).parameters]

    def docstring(self, backend):
        """The entry point's docstring: every argument of ``signature(backend)`` explained
        (by the algorithm where it says something of its own, else by its family)."""
        docs = {**COMMON_ARG_DOCS, **self.loop().ARG_DOCS, **self.arg_docs}
        lines = [f"\n    {self.title}\n", _indent(self.intro, 4), "", "    Args:"]
        for name in self.signature(backend).parameters:
            lines += [_indent(docs[name], 8), ""]
        lines += [_indent(self.logs, 4), "",
                  "    Returns the learner, whose ``act(obs, deterministic=True)`` runs the "
                  "trained policy.\n    "]
        return "\n".join(lines)

    def flags(self, backend):
        """The command line's view of the arguments: ``(name, type, default, summary)`` per
        argument that is a flag (``env_fn``, ``actor_critic`` and ``logger_kwargs`` are not:
        ``--env``, the MLP actor-critic and ``--exp_name``/``--data_dir`` stand for them),
        the summary being the first sentence of its documentation, as plain text."""
        docs = {**COMMON_ARG_DOCS, **self.loop().ARG_DOCS, **self.arg_docs}
        out = []
        for name, param in self.signature(backend).parameters.items():
            if name in NOT_FLAGS:
                continue
            m = re.match(rf"{re.escape(name)}\s*(?:\((.*?)\))?\s*:\s*(.*)", docs[name], re.S)
            kind, text = (m.group(1) or "", m.group(2)) if m else ("", docs[name])
            out.append((name, kind, param.default, first_sentence(plain_text(text))))
        return out

    def signature(self, backend):
        """SpinningUp's signature: ``(env_fn, actor_critic=None, <defaults>..., <backend's
        extras>)``; ``actor_critic`` None is the backend's own MLPActorCritic."""
        params = [inspect.Parameter("env_fn", inspect.Parameter.POSITIONAL_OR_KEYWORD),
                  inspect.Parameter("actor_critic", inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                    default=None)]
        extra = self.backend_defaults.get(backend, {})
        for k, v in {**self.defaults, **extra}.items():
            params.append(inspect.Parameter(k, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                            default=v))
        return inspect.Signature(params)


def learner_kwargs(spec, args, **kwargs):
    """The constructor arguments of ``spec``'s learner from checked arguments (or a saved
    run's config.json): networks, hyperparameters, and ``kwargs`` (e.g. device)."""
    ac, args = args["ac_kwargs"], spec.to_config_names(args)
    hyper = {k: args[k] for k in spec.learner_args if k in args}
    return dict(hidden_sizes=ac["hidden_sizes"], activation=ac["activation"], **hyper,
                **kwargs)


def build_learner(spec, learner_cls, args, env, **kwargs):
    """A fresh learner for ``env``'s spaces from checked arguments or a saved config."""
    return learner_cls(env.observation_space, env.action_space,
                       **learner_kwargs(spec, args, **kwargs))


def make_entry_point(spec, backend, learner_cls, module):
    """The user-facing function ``<algo>_<backend>(env_fn, ...)`` of ``spec`` trained with
    ``learner_cls``. ``module`` is the module that binds it (so that it pickles by reference
    for grids and Ray, and ``help()`` shows where it lives)."""
    sig = spec.signature(backend)
    name = f"{spec.name}_{backend}"

    def entry_point(*args, **kwargs):
        try:
            bound = sig.bind(*args, **kwargs)
        except TypeError as e:
            raise checks.InputError(f"{name}: {e}; accepted arguments: "
                                    f"{', '.join(sig.parameters)}") from None
        bound.apply_defaults()
        kw = dict(bound.arguments)
        env_fn = kw.pop("env_fn")
        quiet.quiet_libraries()  # also for a user's own env_fn (a lambda)
        env = env_fn()
        quiet.note_env(getattr(getattr(env, "spec", None), "id", None))
        try:
            env_fn = envs.recorded_env_fn(env_fn, env)  # what config.json can record of it
            args = spec.check_args(env, kw)
            extra = {k: args[k] for k in BACKEND_ARGS if k in args}
            learner = build_learner(spec, learner_cls, args, env, **extra)
        except BaseException:
            env.close()
            raise
        return spec.loop().train(spec, name, env_fn, env, learner, args)

    entry_point.__signature__ = sig
    entry_point.__name__ = entry_point.__qualname__ = name
    entry_point.__module__ = module
    entry_point.__doc__ = spec.docstring(backend)
    return entry_point


# A backend's own arguments, which its learner takes beside the hyperparameters.
BACKEND_ARGS = ("device", "compile")

# Arguments of the Python function that the command line makes itself.
NOT_FLAGS = ("env_fn", "actor_critic", "logger_kwargs")


def plain_text(text):
    """Documentation text without its reStructuredText markup: ``code`` and :math:`x` as
    their contents, a ``.. math::`` directive as its formula."""
    text = re.sub(r"\.\.\s*math::\s*", "", text)
    text = re.sub(r":math:`([^`]*)`", r"\1", text)
    text = re.sub(r"``([^`]*)``", r"\1", text)
    return re.sub(r"\\(\w+)", r"\1", text)  # LaTeX commands as their names: \rho -> rho


def first_sentence(text):
    """The text up to its first full stop followed by a space (or the end), on one line."""
    one = " ".join(text.split())
    m = re.match(r"(.+?\.)(\s|$)", one)
    return m.group(1) if m else one


def _indent(text, n):
    return "\n".join((" " * n + line) if line.strip() else "" for line in
                     text.strip("\n").splitlines())


# The arguments of every algorithm; a family (``ARG_DOCS`` of its loop module) or an
# algorithm (``arg_docs`` of its spec) says more where it means something else there.
COMMON_ARG_DOCS = dict(
    env_fn="""\
env_fn : A function which creates a copy of the environment (gymnasium API), e.g.
    ``spinup.algos.common.envs.EnvFn('HalfCheetah-v4')`` or
    ``lambda: gymnasium.make('HalfCheetah-v4')``. Observations must be a flat Box.""",
    actor_critic="""\
actor_critic : None (the default), or this backend's ``core.MLPActorCritic``: the MLP
    actor-critic both backends build alike from ``ac_kwargs``. SpinningUp accepted any
    module class here; a custom one is refused, since the learner, its checkpoints and the
    other backend rely on these networks' canonical parameters.""",
    seed="""\
seed (int): Seed for the initial networks (drawn in NumPy, so the same in both
    backends), every random stream of the learner and the loop, and the environments.""",
    steps_per_epoch="""\
steps_per_epoch (int): Number of steps of interaction (state-action pairs) between the
    agent and the environment in each epoch.""",
    epochs="epochs (int): Number of epochs to run and train the agent.",
    logger_kwargs="logger_kwargs (dict): Keyword args for EpochLogger (output_dir, exp_name).",
    num_envs="""\
num_envs (int): Number of copies of the environment stepped together, with one batched
    policy call per step (gymnasium's vector API when > 1). Each step of the loop is then
    num_envs interactions; steps_per_epoch must be a multiple of it. 1 (default) is the
    plain environment.""",
    async_envs="""\
async_envs (bool): Step the num_envs environments in subprocesses (AsyncVectorEnv)
    rather than in this process (SyncVectorEnv). Pays off when an env step costs much more
    than the inter-process round trip.""",
    profile="""\
profile (str): 'none', 'update' (cProfile the update calls), 'epoch' (cProfile whole
    epochs), saved as ``<output_dir>/profile/<mode>.prof``, or 'trace' (the framework's own
    profiler, jax.profiler or torch.profiler, over the first 4 update calls: the ops inside
    the compiled update), saved under ``<output_dir>/profile/trace/`` with a summary
    ``ops.txt``.""",
    profile_warmup="""\
profile_warmup (int): Number of epochs left out of the profile (JIT compilation and
    warm-up happen there). Must be less than epochs when profiling.""",
    device="""\
device (str): PyTorch device: 'cpu', 'cuda' or 'cuda:N'; None picks 'cuda' when it is
    available, else 'cpu'.""",
    compile="""\
compile (str): How PyTorch runs the updates: 'none' (eager, the default), 'default'
    (``torch.compile`` of each update as one graph: losses, gradients by ``torch.func``,
    Adam and target averaging; the first update compiles, tens of seconds) or
    'cudagraphs' (CUDA only: compiled, and the off-policy block of update_every updates,
    or each on-policy value and policy step, replayed from a captured CUDA graph). The
    numbers are eager's to float32 rounding; checkpoints are the same in every mode, so a
    run resumes in any of them.""",
)

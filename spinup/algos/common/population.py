"""Populations of seeds trained in ONE process, whatever the backend: ``--seed 0 10 20
--population`` for every off-policy algorithm (DDPG, TD3, SAC) in JAX
(spinup/algos/jax/population.py: ``jax.vmap``) and PyTorch
(spinup/algos/pytorch/population.py: ``torch.func.vmap``).

Each seed keeps its own learner, environments, replay buffer and run folder, exactly as if it
ran alone: the population steps the off-policy loop's own parts (``OffPolicyRun``) in
lockstep and replaces only the update, by the backend's ``Population`` class. Nothing here
imports torch or jax.
"""
import os.path as osp

from spinup.algos import registry
from spinup.algos.common.checks import InputError
from spinup.algos.common.off_policy import Lockstep, OffPolicyRun, loop
from spinup.algos.common.spec import BACKEND_ARGS, build_learner


def population_class(algo):
    """The backend's joint update of ``algo``'s learners (imports the backend)."""
    if registry.lookup(algo)[1] == "jax":
        from spinup.algos.jax.population import Population
        return Population
    from spinup.algos.pytorch.population import TorchPopulation
    return TorchPopulation


def check_population(algo, seeds):
    """A population needs an off-policy algorithm and at least two distinct seeds."""
    record, backend = registry.lookup(algo)
    if record.spec().family != "off_policy":
        off = [f"{a.name}_{b}" for a in registry.ALGOS.values() for b in registry.BACKENDS
               if a.spec().family == "off_policy"]
        raise InputError(f"--population trains seeds together with vmap and exists for "
                         f"{', '.join(off)}, not {algo} (an on-policy algorithm: run seeds "
                         "as separate processes with --num_workers N)")
    if len(seeds) < 2 or len(set(seeds)) != len(seeds):
        raise InputError(f"--population needs at least two distinct seeds, got "
                         f"{list(seeds)}; e.g. --seed 0 10 20 --population")


def train_population(algo, env_fn, seeds, output_dirs, **kwargs):
    """Train ``algo`` (e.g. 'sac_jax', 'td3_pytorch') once per seed in ``seeds``, all in this
    process with vmapped updates.

    ``output_dirs`` gives each seed's run folder (what ``logger_kwargs['output_dir']`` would
    be for a run alone); ``kwargs`` are any other arguments of the entry point (the same for
    all members). Every member writes the run folder its seed alone would write. Returns the
    learners."""
    algo = registry.resolve(algo)
    check_population(algo, list(seeds))
    if len(output_dirs) != len(seeds):
        raise InputError(f"{len(seeds)} seeds but {len(output_dirs)} output folders")
    spec, learner_cls = registry.spec(algo), registry.learner_class(algo)
    checked = []  # every member's arguments, before any folder is written
    try:
        for seed, out in zip(seeds, output_dirs):
            env = env_fn()
            checked.append((env, None))
            kw = dict(kwargs, seed=seed, logger_kwargs=dict(
                kwargs.get("logger_kwargs") or {}, output_dir=out))
            checked[-1] = (env, registry.check_args(algo, kw, env))
    except BaseException:
        for env, _ in checked:
            env.close()
        raise
    runs = [OffPolicyRun(spec, algo, env_fn, env, build_learner(
                             spec, learner_cls, args, env,
                             **{k: args[k] for k in BACKEND_ARGS if k in args}),
                         args, extra_config=members_config(out, output_dirs))
            for (env, args), out in zip(checked, output_dirs)]
    loop(Lockstep(runs), population_class(algo)([r.learner for r in runs]))
    return [r.learner for r in runs]


def members_config(out, output_dirs):
    """What a member's config.json records of its population: every member's folder, relative
    to its own (so that the folders can move together), for ``resume``."""
    return {POPULATION_KEY: [osp.relpath(d, out) for d in output_dirs]}


# config.json's entry naming a population's members (absent in a run trained alone).
POPULATION_KEY = "population"


def resume_population(runs, algo):
    """Continue the members ``runs`` (``OffPolicyRun``s of ``algo`` built from their
    checkpoints, all at the same epoch) together: the vmapped updates of the population that
    never stopped."""
    loop(Lockstep(runs), population_class(algo)([r.learner for r in runs]))
    return [r.learner for r in runs]

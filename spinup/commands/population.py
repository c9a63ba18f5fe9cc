"""``python -m spinup.run sac_jax --env ENV --seed 0 10 20 --population [...]``: the seeds of
one setting trained together in this process (see spinup/algos/common/population.py),
writing the run folders that separate runs would write."""
from spinup.algos.common.checks import InputError, output_dir
from spinup.algos.common.envs import EnvFn


def run_population(name, arg_dict, run):
    """Train the seeds of ``arg_dict`` (flag -> values, as the CLI parsed them) as one
    population of algorithm ``name``; ``run`` holds the grid-level flags."""
    from spinup.algos.common.population import check_population, train_population
    from spinup.commands.run_utils import setup_logger_kwargs
    seeds = list(arg_dict.pop("seed", [0]))
    check_population(name, seeds)
    several = [k for k, v in arg_dict.items() if len(v) > 1]
    if several:
        raise InputError(f"--population trains the seeds of ONE setting together, but --"
                         f"{several[0]} has {len(arg_dict[several[0]])} values; run one "
                         "population per value")
    for k in ("engine", "address", "num_workers", "num_cpu"):
        if k in run and not (k == "num_cpu" and run[k] == 1):
            raise InputError(f"--{k} does not apply to --population (one process trains all "
                             "seeds)")
    kwargs = {}
    for key, vals in arg_dict.items():
        head, _, rest = key.partition(":")
        if rest:
            kwargs.setdefault(head, {})[rest] = vals[0]
        else:
            kwargs[key] = vals[0]
    env_fn = EnvFn(kwargs.pop("env_name"))
    exp_name = str(run.get("exp_name", "cmd_" + name))
    dirs = [setup_logger_kwargs(exp_name, s, run.get("data_dir"),
                                bool(run.get("datestamp", False)))["output_dir"] for s in seeds]
    for d in dirs:
        output_dir(d)
    train_population(name, env_fn, seeds, dirs, **kwargs)
    print(f"Population of {len(seeds)} seeds done: " + ", ".join(dirs))
    return 0

"""Command line: ``python -m spinup.run ALGO [--flag value [value ...]] ...`` or
``python -m spinup.run SUBCOMMAND ...``.

Algorithm flags follow SpinningUp: values are read as Python literals when they parse as one
(``3e-4``, ``(64,64)``, ``True``) and as strings otherwise; several values on one flag make a
grid of experiments; ``--key[sh]`` gives the key a shorthand for variant names; ``--a:b`` sets
``b`` inside the dict argument ``a``.
"""
import ast
import difflib
import importlib
import inspect
import os
import sys
from textwrap import dedent

from spinup.algos import registry
from spinup.algos.common.checks import InputError

# Shortcut flag -> the argument it stands for.
SUBSTITUTIONS = {
    "env": "env_name",
    "hid": "ac_kwargs:hidden_sizes",
    "act": "ac_kwargs:activation",
    "cpu": "num_cpu",
    "dt": "datestamp",
}
# Flags about how to run the grid, not arguments of the algorithm. Each takes one value.
RUN_KEYS = ("exp_name", "data_dir", "datestamp", "num_workers", "num_cpu", "no_progress",
            "engine", "address", "cpus_per_variant", "gpus_per_variant", "population")

# Subcommand -> "module:function" taking the remaining argv. Added as their features land.
SUBCOMMANDS = {
    "plot": "spinup.commands.plot:main",
    "test_policy": "spinup.commands.test_policy:main",
    "compare": "spinup.commands.compare:main",
    "bench": "spinup.commands.bench:main",
    "resume": "spinup.commands.resume:main",
    "summarize": "spinup.commands.summarize:main",
}

HELP_FLAGS = ("--help", "-h", "help")


def usage():
    algos = registry.names()
    return dedent(f"""\
        Usage: python -m spinup.run CMD [ARGS...]

        CMD is an algorithm ({', '.join(algos)}) or a subcommand
        ({', '.join(SUBCOMMANDS)}). An algorithm without a backend suffix uses the default
        backend from spinup/user_config.py.

        Examples:
            python -m spinup.run td3_jax --env HalfCheetah-v4 --epochs 10
            python -m spinup.run vpg_pytorch --env CartPole-v1 --hid "[32,32]" "[64,64]" \\
                --seed 0 10 --num_workers 2
            python -m spinup.run td3 --help          (the algorithm's arguments)
            python -m spinup.run plot data/EXP_NAME
            python -m spinup.run resume data/EXP_NAME [--epochs N]   (continue killed runs)
            python -m spinup.run summarize data     (rank a grid's variants)
            python -m spinup.run test_policy data/EXP_NAME/EXP_NAME_s0 --video policy.gif

        Run flags (one value each): --exp_name NAME, --data_dir DIR, --dt (datestamp),
        --num_workers N (variants run at once), --no_progress (no progress bar),
        --engine local|ray (ray: --address HOST:PORT joins a cluster, else one starts here),
        --cpus_per_variant C, --gpus_per_variant G (resources reserved for each variant).
        --population (ddpg_jax, td3_jax, sac_jax: all --seed values in one process,
        updates vmapped).
        Shortcuts: --env = --env_name, --hid = --ac_kwargs:hidden_sizes,
        --act = --ac_kwargs:activation.
        """)


def parse_value(arg):
    try:
        return ast.literal_eval(arg)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return arg


def parse_flags(args):
    """argv after the algorithm -> ({key: [values]}, {key: shorthand}), shortcuts applied."""
    arg_dict, shorthands, key = {}, {}, None
    for arg in args:
        if arg.startswith("--") and len(arg) > 2 and not _is_number(arg):
            key = arg[2:]
            sh = None
            if "[" in key and key.endswith("]"):
                key, sh = key[:-1].split("[", 1)
            key = SUBSTITUTIONS.get(key, key)
            if key in arg_dict:
                raise InputError(f"flag --{key} is given twice; give all its values after one "
                                 f"flag, e.g. --{key} 1 2")
            arg_dict[key] = []
            if sh is not None:
                shorthands[key] = sh
        elif key is None:
            raise InputError(f"{arg!r} comes before any flag; arguments look like "
                             "--flag value [value ...]")
        else:
            arg_dict[key].append(parse_value(arg))
    for vals in arg_dict.values():
        if not vals:
            vals.append(True)  # a bare flag switches a boolean on
    return arg_dict, shorthands


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def run_algo(cmd, args):
    name = registry.resolve(cmd)
    if cmd != name:
        print(f"Using the default backend for {cmd}: {name}")
    fn = registry.entry_point(name)
    if any(a in HELP_FLAGS for a in args):
        print(f"\nArguments of spinup.{name}:\n\n{fn.__doc__}")
        return 0
    arg_dict, shorthands = parse_flags(args)
    for k in RUN_KEYS:
        if k in arg_dict and len(arg_dict[k]) != 1:
            raise InputError(f"--{k} takes one value, got {len(arg_dict[k])}: "
                             f"{' '.join(map(str, arg_dict[k]))}")
    run = {k: arg_dict.pop(k)[0] for k in RUN_KEYS if k in arg_dict}
    if "env_fn" in arg_dict:
        raise InputError("--env_fn cannot be given on the command line; use --env ENV_ID")
    if "env_name" not in arg_dict:
        raise InputError("no environment given; add --env ENV_ID, e.g. --env HalfCheetah-v4")
    accepted = [p for p in inspect.signature(fn).parameters if p != "env_fn"]
    for key in arg_dict:
        top = key.split(":")[0]
        if top not in accepted and key != "env_name":
            close = difflib.get_close_matches(top, accepted + list(RUN_KEYS), n=2)
            hint = f" (did you mean --{' or --'.join(close)}?)" if close else ""
            raise InputError(f"{name} does not take --{key}{hint}; accepted flags: "
                             + ", ".join("--" + a for a in accepted + ["env"]) +
                             "; run flags: " + ", ".join("--" + k for k in RUN_KEYS))
    if run.get("no_progress"):
        os.environ["SPINUP_NO_PROGRESS"] = "1"
    if run.pop("population", False):
        from spinup.commands.population import run_population
        return run_population(name, arg_dict, run)
    from spinup.commands.run_utils import ExperimentGrid
    eg = ExperimentGrid(name=str(run.get("exp_name", "cmd_" + name)))
    for k, v in arg_dict.items():
        eg.add(k, v, shorthand=shorthands.get(k))
    eg.run(fn, num_cpu=run.get("num_cpu", 1), data_dir=run.get("data_dir"),
           datestamp=bool(run.get("datestamp", False)),
           num_workers=run.get("num_workers"), engine=run.get("engine", "local"),
           address=run.get("address"), cpus_per_variant=run.get("cpus_per_variant"),
           gpus_per_variant=run.get("gpus_per_variant", 0))
    return 0


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in HELP_FLAGS:
        print(usage())
        return 0
    cmd, args = argv[0], argv[1:]
    try:
        if cmd in SUBCOMMANDS:
            module, func = SUBCOMMANDS[cmd].split(":")
            return getattr(importlib.import_module(module), func)(args) or 0
        return run_algo(cmd, args)
    except InputError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:
        if "variant(s) failed" not in str(e):
            raise
        return 1
    except KeyboardInterrupt:  # the grid has stopped its variants and listed what is left
        return 130


if __name__ == "__main__":
    sys.exit(main())

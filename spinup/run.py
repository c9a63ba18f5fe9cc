"""Command line: ``python -m spinup.run ALGO [--flag value [value ...]] ...`` or
``python -m spinup.run SUBCOMMAND ...``.

Algorithm flags follow SpinningUp: values are read as Python literals when they parse as one
(``3e-4``, ``(64,64)``, ``True``), ``dict(hidden_sizes=(32,32))`` and activation names
(``torch.nn.Tanh``) too, all without eval (``parse_value``), and as strings otherwise; several
values on one flag make a grid of experiments; ``--key[sh]`` gives the key a shorthand for
variant names; ``--a:b`` sets ``b`` inside the dict argument ``a``. ``--cpu``/``--num_cpu N``
(MPI processes in SpinningUp; there is no MPI here) is how many variants run at once, and
``auto`` is this machine's cores.
"""
import ast
import difflib
import importlib
import inspect
import os
import sys
import textwrap
from textwrap import dedent

from spinup.algos.common.checks import ACTIVATIONS, InputError, activation

try:
    from spinup.algos import registry
except InputError as e:  # SPINUP_ALGORITHMS names a module that cannot be imported
    sys.exit(f"error: {e}")

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
            "no_tensorboard", "engine", "address", "cpus_per_variant", "gpus_per_variant",
            "population")

# Subcommand -> "module:function" taking the remaining argv. Added as their features land.
SUBCOMMANDS = {
    "plot": "spinup.commands.plot:main",
    "test_policy": "spinup.commands.test_policy:main",
    "compare": "spinup.commands.compare:main",
    "bench": "spinup.commands.bench:main",
    "resume": "spinup.commands.resume:main",
    "summarize": "spinup.commands.summarize:main",
    "report": "spinup.commands.report:main",
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
            python -m spinup.run report data --out site   (a static site of the runs)
            python -m spinup.run test_policy data/EXP_NAME/EXP_NAME_s0 --video policy.gif

        Run flags (one value each): --exp_name NAME, --data_dir DIR, --dt (datestamp),
        --num_workers N or --cpu N|auto (variants run at once; there is no MPI, each
        variant is one process), --no_progress (no progress bar), --no_tensorboard (no
        TensorBoard event files in the run folders),
        --engine local|ray (ray: --address HOST:PORT joins a cluster, else one starts here),
        --cpus_per_variant C, --gpus_per_variant G (resources reserved for each variant).
        --population (ddpg, td3, sac in either backend: all --seed values in one
        process, updates vmapped; PyTorch's with torch.func, compiled with --compile).
        Shortcuts: --env = --env_name, --hid = --ac_kwargs:hidden_sizes,
        --act = --ac_kwargs:activation.
        """)


# A dotted name starting with one of these is read as the activation it names (torch.nn.ReLU,
# nn.Tanh, jax.nn.relu, F.relu, jnp.tanh): the forms SpinningUp's docs pass to --act.
ACTIVATION_ROOTS = ("torch", "nn", "F", "jax", "jnp", "tf")
_PARSE_ERRORS = (ValueError, SyntaxError, TypeError, MemoryError, RecursionError)


def parse_value(arg, flag="value"):
    """One flag value, read without eval: a Python literal (``3e-4``, ``(64,64)``, ``True``,
    ``{'a': 1}``); ``dict(key=value, ...)`` and lists, tuples and dicts whose items are such
    values; a dotted activation name (``torch.nn.Tanh`` reads as ``'tanh'``). Text that is
    none of these and does not look like code is kept as a string (env ids, paths, names);
    text that looks like code but is none of them is an InputError naming it."""
    try:
        return ast.literal_eval(arg)
    except _PARSE_ERRORS:
        pass
    try:
        tree = ast.parse(arg.strip(), mode="eval").body
    except _PARSE_ERRORS:
        return arg
    if not any(_is_code(n) for n in ast.walk(tree)):
        return arg
    return _read(tree, arg, flag)


def _root(node):
    """'torch' for torch.nn.ReLU; None for anything that is not a dotted name."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _is_code(node):
    if isinstance(node, ast.Call):
        return (isinstance(node.func, ast.Name) and node.func.id == "dict") or \
            _root(node.func) in ACTIVATION_ROOTS
    return isinstance(node, ast.Attribute) and _root(node) in ACTIVATION_ROOTS


def _read(node, text, flag):
    """The value of an expression made only of literals, dict(...) calls with keyword
    arguments, containers, and activation names."""
    def fail(why):
        raise InputError(f"--{flag} {text!r}: cannot read {ast.unparse(node)!r}: {why}; "
                         "accepted are literals, dict(key=value, ...) and activation names "
                         "such as torch.nn.ReLU")
    try:
        return ast.literal_eval(node)
    except _PARSE_ERRORS:
        pass
    if isinstance(node, (ast.Tuple, ast.List)):
        items = [_read(x, text, flag) for x in node.elts]
        return tuple(items) if isinstance(node, ast.Tuple) else items
    if isinstance(node, ast.Dict) and None not in node.keys:
        return {_read(k, text, flag): _read(v, text, flag)
                for k, v in zip(node.keys, node.values)}
    if isinstance(node, ast.Call):
        if _root(node.func) in ACTIVATION_ROOTS:
            fail(f"give the activation itself ({ast.unparse(node.func)}), not a call of it")
        if not (isinstance(node.func, ast.Name) and node.func.id == "dict"):
            fail("the only call read is dict(...)")
        if node.args or any(k.arg is None for k in node.keywords):
            fail("dict(...) takes keyword arguments only here")
        return {k.arg: _read(k.value, text, flag) for k in node.keywords}
    if isinstance(node, ast.Attribute) and _root(node) in ACTIVATION_ROOTS:
        try:
            return activation(ast.unparse(node))
        except InputError:
            raise InputError(f"--{flag} {text!r}: {ast.unparse(node)!r} is not an activation "
                             f"known here; expected one of {', '.join(ACTIVATIONS)} (as a name "
                             "or a framework's, e.g. torch.nn.ReLU)") from None
    if isinstance(node, ast.Name):
        fail(f"{node.id} is a bare name; quote a string ('{node.id}')")
    fail("not a literal")


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
            arg_dict[key].append(parse_value(arg, key) if key not in RUN_KEYS else
                                 _plain_value(arg))
    for vals in arg_dict.values():
        if not vals:
            vals.append(True)  # a bare flag switches a boolean on
    return arg_dict, shorthands


def _plain_value(arg):
    """A run flag's value (a name, a folder, a count): a literal, else the text itself."""
    try:
        return ast.literal_eval(arg)
    except _PARSE_ERRORS:
        return arg


def _is_number(s):
    try:
        float(s)
        return True
    except ValueError:
        return False


def algo_help(name, fn):
    """``--help`` of an algorithm: every flag with its type, default and the first sentence
    of its documentation, then the whole documentation as plain text."""
    from spinup.algos.common.spec import plain_text
    algo, backend = registry.lookup(name)
    spec = algo.spec()
    short = {v: k for k, v in SUBSTITUTIONS.items()}
    rows = [("--env ENV_ID", "(required)", "A gymnasium id, e.g. HalfCheetah-v4.")]
    for flag, kind, default, summary in spec.flags(backend):
        if flag == "ac_kwargs":
            for sub, what in (("hidden_sizes", "Hidden layer sizes, e.g. (64,64)."),
                              ("activation", "Activation name, e.g. tanh or relu.")):
                key = f"ac_kwargs:{sub}"
                rows.append((f"--{short[key]}, --{key}",
                             repr(spec.hidden_sizes if sub == "hidden_sizes"
                                  else spec.activation), what))
            continue
        metavar = kind.upper().replace(" OR ", "|").replace("'", "") or "VALUE"
        rows.append((f"--{flag} {metavar}", repr(default), summary))
    width = max(len(r[0]) for r in rows) + 2
    lines = [f"usage: python -m spinup.run {name} --env ENV_ID [--FLAG VALUE ...]", "",
             spec.title, textwrap.fill(
                 "Several values after a flag make a grid of variants (one run each); see "
                 "python -m spinup.run --help for the run flags (--exp_name, --data_dir, "
                 "--num_workers, ...).", width=92), "",
             f"Flags of {name} (default in the middle column):"]
    for flag, default, summary in rows:
        head = f"  {flag:<{width}}{default:<12} "
        lines.append(textwrap.fill(summary, width=max(100, len(head) + 40),
                                   initial_indent=head, subsequent_indent=" " * len(head)))
    lines += ["", "Not flags: env_fn (--env makes it), actor_critic (always the MLP "
              "actor-critic of --hid/--act), logger_kwargs (--exp_name, --data_dir).", "",
              f"The documentation of spinup.{name}:", plain_text(fn.__doc__ or "")]
    return "\n".join(lines)


def run_algo(cmd, args):
    name = registry.resolve(cmd)
    if cmd != name:
        print(f"Using the default backend for {cmd}: {name}")
    fn = registry.entry_point(name)
    if any(a in HELP_FLAGS for a in args):
        print(algo_help(name, fn))
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
    if run.pop("no_tensorboard", False):
        os.environ["SPINUP_NO_TENSORBOARD"] = "1"
    run.setdefault("exp_name", "cmd_" + cmd)  # SpinningUp's default: the command as typed
    if run.pop("population", False):
        from spinup.commands.population import run_population
        return run_population(name, arg_dict, run)
    from spinup.commands.run_utils import ExperimentGrid
    eg = ExperimentGrid(name=str(run["exp_name"]))
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
            if cmd != "plot":  # every command that may make an env (utils/quiet.py)
                from spinup.utils import quiet
                quiet.quiet_libraries()
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

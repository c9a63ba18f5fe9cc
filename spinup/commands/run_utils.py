"""Experiment launching: output folders, one experiment in a subprocess, grids of them."""
import base64
import itertools
import json
import os
import os.path as osp
import string
import subprocess
import sys
import time

import cloudpickle
import numpy as np

from spinup.algos.common.checks import InputError, exp_name as checked_exp_name, output_dir
from spinup.commands import engines
from spinup.commands.engines import error_summary
from spinup.user_config import (DEFAULT_DATA_DIR, DEFAULT_SHORTHAND, FORCE_DATESTAMP,
                                WAIT_BEFORE_LAUNCH)
from spinup.utils.logx import colorize

DIV_LINE_WIDTH = 80


def setup_logger_kwargs(exp_name, seed=None, data_dir=None, datestamp=False):
    """Logger kwargs for an experiment: its folder is ``data_dir/exp_name/exp_name_s<seed>``,
    or with a datestamp ``data_dir/YYYY-MM-DD_exp_name/YYYY-MM-DD_HH-MM-SS-exp_name_s<seed>``.
    Without a seed the seed level is left out. ``data_dir`` defaults to
    ``user_config.DEFAULT_DATA_DIR``. An ``exp_name`` that would lead out of ``data_dir``
    ('..', '../x', an absolute path) is an InputError."""
    checked_exp_name(exp_name)
    datestamp = datestamp or FORCE_DATESTAMP
    relpath = (time.strftime("%Y-%m-%d_") if datestamp else "") + exp_name
    if seed is not None:
        prefix = time.strftime("%Y-%m-%d_%H-%M-%S") + "-" if datestamp else ""
        relpath = osp.join(relpath, f"{prefix}{exp_name}_s{seed}")
    return dict(output_dir=osp.join(data_dir or DEFAULT_DATA_DIR, relpath), exp_name=exp_name)


def _prepare(exp_name, thunk, seed=0, data_dir=None, datestamp=False, **kwargs):
    """The keyword arguments an experiment is called with, and its output folder."""
    kwargs = dict(kwargs, seed=seed)
    if "logger_kwargs" not in kwargs:
        kwargs["logger_kwargs"] = setup_logger_kwargs(exp_name, seed, data_dir, datestamp)
    if "env_name" in kwargs:
        from spinup.algos.common.envs import EnvFn
        kwargs["env_fn"] = EnvFn(kwargs.pop("env_name"))
    return kwargs, kwargs["logger_kwargs"]["output_dir"]


def _command(thunk, kwargs):
    payload = base64.b64encode(cloudpickle.dumps((thunk, kwargs))).decode("ascii")
    return [sys.executable, "-u", "-m", "spinup.commands.run_entrypoint", payload]


def _print_end(output_dir):
    print(colorize("\nEnd of experiment.\n\nPlot results from this run with:\n\n"
                   f"python -m spinup.run plot {output_dir}\n\n"
                   f"Watch the trained agent with:\n\npython -m spinup.run test_policy "
                   f"{output_dir}\n", "cyan", bold=True) + "=" * DIV_LINE_WIDTH + "\n")


def call_experiment(exp_name, thunk, seed=0, num_cpu=1, data_dir=None, datestamp=False,
                    **kwargs):
    """Run ``thunk(**kwargs, seed=seed, logger_kwargs=...)`` in a fresh Python subprocess.

    ``env_name`` in kwargs becomes ``env_fn=EnvFn(env_name)``. Raises ``RuntimeError`` when
    the subprocess fails (its traceback is printed by it and kept in ``error.txt``).
    ``num_cpu`` (SpinningUp's MPI processes: a positive integer or 'auto') is accepted, but
    there is no MPI here: the run uses one process, and says so when ``num_cpu`` is not 1."""
    if num_cpu_workers(num_cpu) > 1:
        print(f"num_cpu={num_cpu!r}: spinup has no MPI; this run uses one process (grids run "
              "variants side by side instead)")
    kwargs, output_dir = _prepare(exp_name, thunk, seed, data_dir, datestamp, **kwargs)
    print(colorize("Running experiment:\n", "cyan", bold=True) + exp_name + "\n")
    print(colorize("with kwargs:\n", "cyan", bold=True) +
          json.dumps({k: str(v) for k, v in kwargs.items()}, indent=4) + "\n", flush=True)
    proc = subprocess.run(_command(thunk, kwargs), env=os.environ.copy())
    if proc.returncode != 0:
        raise RuntimeError(f"experiment {exp_name} (seed {seed}) failed with exit code "
                           f"{proc.returncode}: {error_summary(output_dir)}")
    _print_end(output_dir)
    return output_dir


def all_bools(vals):
    """Whether every value is a bool (such a key shows only its shorthand in names)."""
    return all(isinstance(v, bool) for v in vals)


def valid_str(v):
    """A value as a string fit for a folder name: lower case; characters other than letters,
    digits, '-' and '_' become '-'; lists/tuples joined with '-'; functions/classes by name."""
    if hasattr(v, "__name__"):
        return valid_str(v.__name__)
    if isinstance(v, (tuple, list)):
        return "-".join(valid_str(x) for x in v)
    allowed = set("-_" + string.ascii_letters + string.digits)
    # '1e+30' -> '1e30': the '+' would become '-', the name of 1e-30
    return "".join(c if c in allowed else "-" for c in str(v).lower().replace("e+", "e"))


def _get_nested(variant, key):
    """variant['a']['b'] for key 'a:b' (a flat 'a:b' entry wins if present)."""
    if key in variant:
        return variant[key]
    head, _, rest = key.partition(":")
    return _get_nested(variant[head], rest)


class ExperimentGrid:
    """A grid of experiments: every combination of the values added with ``add``.

    Each variant runs in its own subprocess, on this machine (``run(thunk, num_workers=N)``
    runs N at once) or on a Ray cluster (``run(thunk, engine="ray", address=...)``). A failing
    variant is retried once, then reported at the end with its error; the others still run."""

    def __init__(self, name=""):
        if not isinstance(name, str):
            raise InputError(f"ExperimentGrid name={name!r}: expected a string")
        self.keys, self.vals, self.shs, self.in_names = [], [], [], []
        self.name = name

    def add(self, key, vals, shorthand=None, in_name=False):
        """Add ``key`` with one value or a list of values. Keys with several values (or
        ``in_name=True``) appear in variant names, as ``shorthand`` if given (by default
        the first three letters of each ':'-separated part of the key). ``a:b`` sets
        ``variant['a']['b']``."""
        if not isinstance(key, str):
            raise InputError(f"grid key {key!r}: expected a string")
        if key in self.keys:
            raise InputError(f"grid key {key!r} was already added")
        if shorthand is not None and not isinstance(shorthand, str):
            raise InputError(f"shorthand {shorthand!r} for {key!r}: expected a string")
        vals = vals if isinstance(vals, list) else [vals]
        if len(vals) == 0:
            raise InputError(f"grid key {key!r}: no values given")
        if DEFAULT_SHORTHAND and shorthand is None:
            shorthand = self._default_shorthand(key)
        self.keys.append(key)
        self.vals.append(vals)
        self.shs.append(shorthand)
        self.in_names.append(in_name)

    @staticmethod
    def _default_shorthand(key):
        alnum = set(string.ascii_letters + string.digits)
        return "-".join("".join(c for c in part[:3] if c in alnum) for part in key.split(":"))

    def print(self):
        """Print the grid's keys, values and variant counts."""
        print("=" * DIV_LINE_WIDTH)
        base = "ExperimentGrid %s runs over parameters:\n" % self.name if self.name else \
            "ExperimentGrid runs over parameters:\n"
        print(colorize(base, "green", bold=True))
        for k, v, sh in zip(self.keys, self.vals, self.shs):
            print(colorize(f" {k} " + (f"[{sh}]" if sh is not None else ""), "cyan", bold=True))
            for val in v:
                print("\t" + str(val))
            print()
        n_variants = int(np.prod([len(v) for v in self.vals])) if self.vals else 0
        print(" Variants, counting seeds: ".ljust(40) + str(n_variants))
        n_seedless = int(np.prod([len(v) for k, v in zip(self.keys, self.vals) if k != "seed"]))
        print(" Variants, not counting seeds: ".ljust(40) + str(n_seedless))
        print("=" * DIV_LINE_WIDTH, flush=True)

    def variant_name(self, variant):
        """The grid name followed by ``_<shorthand><value>`` for each key in the name. The
        seed never appears, so seeds of one setting share a folder. A key taking only
        booleans shows its bare shorthand when True and nothing when False."""
        name = self.name
        for k, v, sh, inn in zip(self.keys, self.vals, self.shs, self.in_names):
            if k == "seed" or not (len(v) > 1 or inn):
                continue
            param = valid_str(sh if sh is not None else k)
            val = _get_nested(variant, k)
            if all_bools(v):
                name += ("_" + param) if val else ""
            else:
                name += "_" + param + valid_str(val)
        return name.lstrip("_")

    def _flat_variants(self):
        # The first key added varies slowest.
        return [dict(zip(self.keys, combo)) for combo in itertools.product(*self.vals)]

    def variants(self):
        """Every combination, with 'a:b' keys unflattened into nested dicts."""
        return [_unflatten(v) for v in self._flat_variants()]

    def run(self, thunk, num_cpu=1, data_dir=None, datestamp=False, num_workers=None,
            engine="local", address=None, cpus_per_variant=None, gpus_per_variant=0):
        """Run ``thunk`` (a function, or the name of a key holding one) for every variant, each
        in its own subprocess, then print a summary ranking the variants.

        ``num_cpu`` is SpinningUp's (MPI processes per run there); without MPI here it is
        how many variants run at once: a positive integer, or 'auto' for this machine's cores
        (the same as ``num_workers``; give one of the two).

        ``engine='local'`` runs ``num_workers`` variants at once on this machine (default 1);
        ``engine='ray'`` runs them as Ray tasks on the cluster at ``address`` (a Ray instance
        is started here without it), reserving ``cpus_per_variant`` CPUs (default 1) and
        ``gpus_per_variant`` GPUs for each, at most ``num_workers`` at once when given.
        Locally, ``cpus_per_variant`` sets each variant's OpenMP threads (default: the cores
        split between the workers). Run folders are the same with either engine.

        A variant whose folder already holds a finished run is skipped, so a rerun of an
        interrupted grid runs only what is left (``engines.variant_status``). A failed variant
        is retried once. Returns the output folders of the finished variants; raises
        ``RuntimeError`` listing the variants that failed, after the others ran, and
        ``KeyboardInterrupt`` on Ctrl-C, after stopping the running variants and listing the
        unfinished ones."""
        num_workers = _workers(num_cpu, num_workers)
        runner = engines.make_engine(engine, num_workers, address, cpus_per_variant,
                                     gpus_per_variant)
        jobs = []
        for var in self.variants():
            exp_name = self.variant_name(var)
            fn = var.pop(thunk) if isinstance(thunk, str) else thunk
            jobs.append((exp_name, fn, var))
        _check_jobs(jobs)
        variants = [engines.make_variant(n, fn, *_prepare(n, fn, data_dir=data_dir,
                                                          datestamp=datestamp, **var))
                    for n, fn, var in jobs]
        _check_distinct_folders(variants)
        for v in variants:
            output_dir(v.out_dir)
        # Every check, this one too, before the banner: a bad value is the one line shown.
        held = engines.hold_folders(variants)  # for the grid's life: one writer per folder
        try:
            self.print()
            return self._launch(variants, runner, data_dir)
        finally:
            engines.release_folders(held)

    def _launch(self, variants, runner, data_dir):
        """Run the checked ``variants`` of ``run``, whose folders this process holds."""
        print(colorize("\nVariants to run:\n", "cyan", bold=True) + "\n".join(
            v.label + ("  [done: skipped]" if v.status == "done" else
                       "  [unfinished: runs again]" if v.status == "unfinished" else "")
            for v in variants))
        if WAIT_BEFORE_LAUNCH > 0:
            print(colorize(f"\nLaunching in {WAIT_BEFORE_LAUNCH:g} s; Ctrl-C to stop.",
                           "cyan", bold=True), flush=True)
            time.sleep(WAIT_BEFORE_LAUNCH)
        print(colorize(f"\nEngine: {runner.name}", "cyan", bold=True), flush=True)
        try:
            failures = engines.run_variants(variants, runner)
        except engines.GridInterrupted as e:
            print(colorize(f"\nInterrupted: {len(e.unfinished)} run(s) unfinished:", "red",
                           bold=True))
            for v in e.unfinished:
                print(f"  - {v.label}: {v.out_dir}")
            print("Run the same command again to continue: each run listed resumes from its "
                  "last checkpoint (one without a checkpoint starts again), finished runs are "
                  "skipped; or continue one run with python -m spinup.run resume FOLDER.",
                  flush=True)
            raise KeyboardInterrupt from None
        if len(variants) == 1 and not failures and isinstance(runner, engines.LocalEngine):
            _print_end(variants[0].out_dir)
        self._summarize([v.out_dir for v in variants], data_dir)
        _report(len(variants), list(failures.values()))
        return [v.out_dir for v in variants if v.out_dir not in failures]

    def _summarize(self, run_dirs, data_dir):
        from spinup.commands import summarize
        runs = [d for d in run_dirs if osp.exists(osp.join(d, "progress.txt"))]
        path = osp.join(data_dir or DEFAULT_DATA_DIR,
                        f"{self.name}_summary.csv" if self.name else "summary.csv")
        try:
            summarize.summarize(runs, out=path, root=data_dir or DEFAULT_DATA_DIR)
        except InputError as e:  # e.g. a thunk that logs no return: nothing to rank
            print(f"\nNo summary: {e}")
        except OSError as e:  # a full disk: the grid's report still follows
            print(f"\nNo summary: {path} could not be written ({e.strerror or e})")


def num_cpu_workers(num_cpu):
    """SpinningUp's ``num_cpu`` (a positive integer or 'auto': the cores) as a count."""
    if num_cpu == "auto":
        return os.cpu_count() or 1
    if isinstance(num_cpu, bool) or not isinstance(num_cpu, int) or num_cpu < 1:
        raise InputError(f"num_cpu={num_cpu!r}: expected a positive integer or 'auto' (there "
                         "is no MPI here: num_cpu is how many variants of a grid run at once)")
    return num_cpu


def _workers(num_cpu, num_workers):
    """The grid's worker count from ``num_cpu`` (SpinningUp's name) and ``num_workers``."""
    n = num_cpu_workers(num_cpu)
    if n == 1:
        return num_workers
    if num_workers is not None and num_workers != n:
        raise InputError(f"num_cpu={num_cpu!r} and num_workers={num_workers!r} both say how "
                         "many variants run at once; give one of them")
    print(colorize(f"num_cpu={num_cpu!r}: no MPI here; each variant runs in one process, and "
                   f"up to {n} variants run at once (num_workers={n})", "cyan", bold=True))
    return n


def _unflatten(var):
    out, nested = {}, set()
    for k, v in var.items():
        head, sep, rest = k.partition(":")
        if (head in out) and (not sep or head not in nested):
            raise InputError(f"grid key {k!r}: {head!r} is given both as a value and as "
                             "nested keys")
        if not sep:
            out[k] = v
            continue
        nested.add(head)
        out.setdefault(head, {})[rest] = v
    return {k: (_unflatten(v) if k in nested else v) for k, v in out.items()}


def _check_jobs(jobs):
    """Check every variant of a registered algorithm before anything launches."""
    from spinup.algos import registry
    envs = {}
    for exp_name, fn, var in jobs:
        name = registry.name_of(fn)
        if name is None:
            continue
        kw = {k: v for k, v in var.items() if k not in ("env_name", "env_fn")}
        env_name = var.get("env_name")
        if env_name is None and "env_fn" not in var:
            raise InputError(f"{exp_name}: no environment given; add env_name (--env)")
        if env_name is not None and env_name not in envs:
            from spinup.algos.common.envs import EnvFn
            envs[env_name] = EnvFn(env_name)()
        env = envs[env_name] if env_name is not None else var["env_fn"]()
        registry.check_args(name, kw, env)
    for env in envs.values():
        env.close()


def _check_distinct_folders(variants):
    """Two variants writing one folder would overwrite each other's run."""
    seen = {}
    for v in variants:
        if v.out_dir in seen:
            raise InputError(f"variants {seen[v.out_dir]} and {v.label} would both write "
                             f"{v.out_dir}; give their values distinct names (values that "
                             "differ only in case or punctuation look the same in folder "
                             "names) or drop the repeated value")
        seen[v.out_dir] = v.label


def _report(n_jobs, failures):
    if not failures:
        return
    print(colorize(f"\n{len(failures)} of {n_jobs} variant(s) failed:", "red", bold=True))
    for msg in failures:
        print("  - " + msg)
    raise RuntimeError(f"{len(failures)} of {n_jobs} variant(s) failed:\n" +
                       "\n".join("  - " + m for m in failures))

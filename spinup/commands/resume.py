"""``python -m spinup.run resume DIR [--epochs N] [--device D] [--compile MODE]``: continue
runs from their checkpoints.

DIR is a run folder, or an experiment or grid folder: then every unfinished run under it
resumes, one after another, each in its own process. The members of a population
(``--population``) resume together, as the population. ``--epochs N`` sets the total number of
epochs, which also extends finished runs; ``--device`` and ``--compile`` (PyTorch) change how
the rest is computed, not what. Everything is checked before any run starts."""
import argparse
import os
import subprocess
import sys

from spinup.algos import runs
from spinup.algos.common.checks import InputError
from spinup.utils import run_files


def plan(path, epochs=None, device=None, compile=None):
    """[(run_dir, what)] for every run under ``path``: 'resume', 'finished' or 'no
    checkpoint'. Raises InputError when nothing could be resumed or a resumable run fails its
    checks (damaged files, a device that is not here, a folder that cannot be written)."""
    if not os.path.isdir(path):
        raise InputError(f"{path!r} is not a folder; expected a run folder or a folder of runs")
    found = run_files.find_run_dirs(path)
    if not found:
        raise InputError(f"{path!r} holds no run (no config.json under it)")
    out = []
    for run_dir in found:
        _, meta, planned, done = runs.run_status(run_dir)
        if meta is None:
            out.append((run_dir, "no checkpoint"))
        elif epochs is None and done >= planned:
            out.append((run_dir, "finished"))
        else:
            runs.check_resume(run_dir, epochs, device, compile)[2].close()
            out.append((run_dir, "resume"))
    if len(found) == 1 and out[0][1] != "resume":
        runs.check_resume(found[0], epochs, device, compile)  # raises the explanation
    if not any(what == "resume" for _, what in out):
        raise InputError(f"nothing to resume under {path!r}: " + "; ".join(
            f"{os.path.relpath(d, path) or '.'} {what}" for d, what in out)
            + ("; give --epochs N to extend finished runs" if epochs is None else ""))
    return out


def main(argv=None):
    """The ``resume`` subcommand."""
    p = argparse.ArgumentParser(prog="python -m spinup.run resume",
                                description="Continue killed runs from their checkpoints.")
    p.add_argument("path", help="a run folder, or a folder of runs (e.g. a grid's)")
    p.add_argument("--epochs", type=int, default=None,
                   help="total epochs (default: what the run was started with)")
    p.add_argument("--device", default=None, help="PyTorch device (default: the run's)")
    p.add_argument("--compile", default=None, metavar="MODE",
                   help="PyTorch: none, default or cudagraphs (default: the run's)")
    args = p.parse_args(argv)
    todo = plan(args.path, args.epochs, args.device, args.compile)
    if len(todo) == 1:
        runs.resume(todo[0][0], args.epochs, args.device, compile=args.compile)
        return 0
    failed, covered = [], set()
    for run_dir, what in todo:
        if run_dir in covered:
            print(f"{'resumed':>14}  {run_dir} (with its population)", flush=True)
            continue
        print(f"{what:>14}  {run_dir}", flush=True)
        if what != "resume":
            continue
        # A population's members resume together, in the process of the first one met.
        members = runs.population_members(run_dir, run_files.read_config(run_dir)) or []
        covered.update(os.path.normpath(m) for m in members)
        covered.update(m for m, _ in todo if os.path.normpath(m) in covered)
        cmd = [sys.executable, "-m", "spinup.run", "resume", run_dir]
        cmd += ["--epochs", str(args.epochs)] if args.epochs is not None else []
        cmd += ["--device", args.device] if args.device is not None else []
        cmd += ["--compile", args.compile] if args.compile is not None else []
        if subprocess.run(cmd).returncode != 0:
            failed.append(run_dir)
    if failed:
        print("failed to resume: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0

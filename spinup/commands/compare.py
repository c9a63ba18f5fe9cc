"""Side-by-side speed of runs: ``python -m spinup.run compare RUN_DIR... [--ref RUN_DIR]``.

For each run (a run folder, or an experiment folder whose seed runs are averaged): the median
over epochs (after ``--warmup`` epochs) of the per-epoch phase times that the training loops
log (TimeEnv, TimeAct, TimeUpdate, TimeTest, TimeEpoch), their ratio to a reference run (by
default the PyTorch one), and the top functions of each saved cProfile. Writes ``compare.png``
and a self-contained ``compare.html`` (figure embedded) to ``--out``."""
import argparse
import base64
import html
import os
import os.path as osp
import pstats

import numpy as np

from spinup.algos.common.checks import InputError
from spinup.commands.plot import read_progress
from spinup.commands.test_policy import run_info

PHASES = ("Env", "Act", "Update", "Test", "Epoch")


def _run_folders(path):
    """The run folders a path stands for: itself, or its sub-folders holding progress.txt."""
    if not osp.isdir(path):
        raise InputError(f"{path!r} is not a folder; expected a run folder (config.json and "
                         "progress.txt) or an experiment folder of seed runs")
    if osp.exists(osp.join(path, "progress.txt")) or osp.exists(osp.join(path, "config.json")):
        return [path]
    subs = sorted(osp.join(path, d) for d in os.listdir(path)
                  if osp.exists(osp.join(path, d, "progress.txt")))
    if not subs:
        raise InputError(f"{path!r} is not a run: progress.txt and config.json are missing "
                         "(and no sub-folder holds a run)")
    return subs


def load_run(path, warmup=1):
    """Summary of one run or experiment: name, algorithm, phase medians (mean over seeds),
    epochs counted, and the .prof files found."""
    runs = _run_folders(path)
    algos, per_seed, profs = set(), [], []
    for run in runs:
        for fname in ("config.json", "progress.txt"):
            if not osp.exists(osp.join(run, fname)):
                raise InputError(f"{run!r} is not a run: {fname} is missing")
        algo, cfg = run_info(run)
        algos.add(algo)
        cols = read_progress(osp.join(run, "progress.txt"))
        missing = [p for p in PHASES if "Time" + p not in cols]
        if missing:
            raise InputError(f"{run}/progress.txt has no timing columns "
                             f"{', '.join('Time' + p for p in missing)}")
        n = len(cols["TimeEpoch"])
        skip = warmup if n > warmup else 0  # a 1-epoch run still gets a (warm-up) figure
        per_seed.append({p: float(np.median(cols["Time" + p][skip:])) for p in PHASES})
        prof_dir = osp.join(run, "profile")
        if osp.isdir(prof_dir):
            profs += sorted(osp.join(prof_dir, f) for f in os.listdir(prof_dir)
                            if f.endswith(".prof"))
    if len(algos) > 1:
        raise InputError(f"{path!r} mixes algorithms {sorted(algos)}")
    times = {p: float(np.mean([s[p] for s in per_seed])) for p in PHASES}
    return dict(path=path, name=osp.basename(osp.normpath(path)), algo=algos.pop(),
                seeds=len(runs), times=times, profiles=profs)


def top_functions(prof_path, n=15):
    """(cumulative s, total s, calls, function) of the n functions with the most cumulative
    time in a .prof file."""
    st = pstats.Stats(prof_path)
    rows = []
    for (fname, line, func), (cc, nc, tt, ct, _) in st.stats.items():
        where = f"{osp.basename(fname)}:{line}({func})" if fname != "~" else func
        rows.append((ct, tt, nc, where))
    rows.sort(key=lambda r: -r[0])
    return rows[:n]


def compare(paths, ref=None, warmup=1):
    """Per-phase median times of each run folder, averaged over its seeds, with ratios to the
    reference run ``ref`` (by default the PyTorch one)."""
    runs = [load_run(p, warmup) for p in paths]
    if ref is not None:
        ref_run = load_run(ref, warmup)
        if all(osp.normpath(r["path"]) != osp.normpath(ref) for r in runs):
            runs.insert(0, ref_run)
    families = {r["algo"].split("_")[0] for r in runs}
    if len(families) > 1:
        raise InputError("runs of different algorithms cannot be compared: " +
                         ", ".join(f"{r['path']} ({r['algo']})" for r in runs))
    if ref is None:
        ref_run = next((r for r in runs if r["algo"].endswith("_pytorch")), runs[0])
    else:
        ref_run = next(r for r in runs if osp.normpath(r["path"]) == osp.normpath(ref))
    for r in runs:
        r["ratio"] = {p: (r["times"][p] / ref_run["times"][p] if ref_run["times"][p] > 0
                          else float("nan")) for p in PHASES}
    return runs, ref_run


def format_table(runs, ref_run):
    """The comparison as a printable table."""
    head = f"{'run':<32}{'algo':<13}{'seeds':>5}" + "".join(f"{p:>15}" for p in PHASES)
    lines = [f"Median seconds per epoch (ratio to {ref_run['name']})", head]
    for r in runs:
        cells = "".join(f"{r['times'][p]:>8.3f} ({r['ratio'][p]:.2f})" for p in PHASES)
        lines.append(f"{r['name'][:31]:<32}{r['algo']:<13}{r['seeds']:>5}{cells}")
    return "\n".join(lines)


def bar_chart(runs, ref_run, path):
    """A bar chart of the per-phase times, saved to ``path``."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4.2))
    width = 0.8 / len(runs)
    x = np.arange(len(PHASES))
    for i, r in enumerate(runs):
        vals = [r["times"][p] for p in PHASES]
        bars = ax.bar(x + i * width, vals, width, label=f"{r['name']} ({r['algo']})")
        for b, p in zip(bars, PHASES):
            ax.annotate(f"{r['ratio'][p]:.2f}x", (b.get_x() + b.get_width() / 2, b.get_height()),
                        ha="center", va="bottom", fontsize=7)
    ax.set_xticks(x + width * (len(runs) - 1) / 2, PHASES)
    ax.set_ylabel("median seconds per epoch")
    ax.set_title(f"Phase times (labels: ratio to {ref_run['name']})", fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_html(runs, ref_run, png_path, path):
    """A self-contained HTML report (table, chart embedded, top profiled functions)."""
    png64 = base64.b64encode(open(png_path, "rb").read()).decode("ascii")
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(r['name'])}</td><td>{esc(r['algo'])}</td><td>{r['seeds']}</td>" +
        "".join(f"<td>{r['times'][p]:.4f} <small>({r['ratio'][p]:.2f}x)</small></td>"
                for p in PHASES) + "</tr>" for r in runs)
    prof_html = []
    for r in runs:
        if not r["profiles"]:
            prof_html.append(f"<h3>{esc(r['name'])}</h3><p>No profile: run with "
                             "<code>--profile update</code> or <code>--profile epoch</code> "
                             "to record one.</p>")
            continue
        for prof in r["profiles"]:
            trs = "".join(f"<tr><td>{ct:.4f}</td><td>{tt:.4f}</td><td>{nc}</td>"
                          f"<td><code>{esc(w)}</code></td></tr>"
                          for ct, tt, nc, w in top_functions(prof))
            prof_html.append(
                f"<h3>{esc(r['name'])}: {esc(osp.basename(prof))}</h3>"
                f"<p>Open interactively: <code>snakeviz {esc(prof)}</code></p>"
                "<table><tr><th>cumulative s</th><th>own s</th><th>calls</th>"
                f"<th>function</th></tr>{trs}</table>")
    doc = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>spinup compare</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:70em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}}td:first-child{{text-align:left}}
</style></head><body><h1>Speed comparison</h1>
<p>Median seconds per epoch over epochs after warm-up, mean over seeds; ratio to
<b>{esc(ref_run['name'])}</b> ({esc(ref_run['algo'])}).</p>
<table><tr><th>run</th><th>algo</th><th>seeds</th>{''.join(f'<th>{p}</th>' for p in PHASES)}
</tr>{rows}</table><p><img alt="phase times" src="data:image/png;base64,{png64}"></p>
<h2>Top functions by cumulative time (cProfile)</h2>{''.join(prof_html)}
<p><small>cProfile inflates Python-heavy code; the phase times above are the comparison,
the profiles are for drill-down.</small></p></body></html>"""
    with open(path, "w") as f:
        f.write(doc)


def main(argv=None):
    """``python -m spinup.run compare DIR [DIR ...] [--out PREFIX]``."""
    p = argparse.ArgumentParser(prog="python -m spinup.run compare")
    p.add_argument("runs", nargs="+", help="run folders or experiment folders of seed runs")
    p.add_argument("--ref", default=None, help="reference run (default: the PyTorch one)")
    p.add_argument("--out", default=".", help="folder for compare.png and compare.html")
    p.add_argument("--warmup", type=int, default=1, help="epochs left out of the medians")
    args = p.parse_args(argv)
    if args.warmup < 0:
        raise InputError(f"--warmup {args.warmup}: expected an integer >= 0")
    runs, ref_run = compare(args.runs, args.ref, args.warmup)
    print(format_table(runs, ref_run))
    for r in runs:
        if r["profiles"]:
            print(f"\nTop functions of {r['name']} ({r['profiles'][0]}):")
            for ct, tt, nc, w in top_functions(r["profiles"][0], 8):
                print(f"  {ct:9.4f} s cum {tt:9.4f} s own {nc:>8} calls  {w}")
        else:
            print(f"\n{r['name']}: no profile (run with --profile update|epoch to record one)")
    os.makedirs(args.out, exist_ok=True)
    png, page = osp.join(args.out, "compare.png"), osp.join(args.out, "compare.html")
    bar_chart(runs, ref_run, png)
    write_html(runs, ref_run, png, page)
    print(f"\nwrote {png}\nwrote {page}")
    return 0

"""A static site of runs: ``python -m spinup.run report DIR... --out SITE``.

Runs are grouped as SpinningUp's plot groups them: by algorithm, backend, environment and
settings (everything config.json holds but the seed and the bookkeeping), so a grid's
variants are groups of their own and a group's runs differ only by seed; the page says each
group's settings. Each group gets its learning curve over
seeds (mean +- std, each seed thin), the time per epoch of each phase, the top of its cProfile
(``--profile update|epoch``) with an icicle graph drawn here from the .prof (SVG, tooltips, no
script, no server), the ops of its framework trace (``--profile trace``) and its video (a
.gif/.mp4/.webm anywhere in a run folder, e.g. ``test_policy RUN --video RUN/video.gif``).
SITE holds ``index.html`` and the files it links, nothing outside it: publish it as it is.

Whatever cannot be shown (a folder with no runs, a damaged run or profile, no video) is said
in one line, on the page and here, and the rest is built. Exit status 0 when at least one
group was built, 1 when none was (the page then says why).
"""
import argparse
import html
import json
import os
import os.path as osp
import pstats
import re
import shutil
import zlib

import numpy as np

from spinup.algos.common.checks import InputError
from spinup.utils import run_files

METRICS = ("AverageTestEpRet", "AverageEpRet")
PHASES = ("Env", "Act", "Update", "Test")
VIDEO_EXTS = (".gif", ".mp4", ".webm")
SKIP_DIRS = ("model", "checkpoint", "profile")


# ---------------------------------------------------------------------------------------------
# Reading runs
# ---------------------------------------------------------------------------------------------
def env_id(cfg):
    """The env a run trained on, as config.json records it."""
    fn = cfg.get("env_fn")
    if isinstance(fn, dict):
        if isinstance(fn.get("env_id"), str):
            return fn["env_id"]
        spec = fn.get("gymnasium_spec")
        if isinstance(spec, dict) and isinstance(spec.get("id"), str):
            return spec["id"]
    return str(cfg.get("env_name") or "unknown-env")


def read_run(run_dir):
    """A run's config and its progress columns as float arrays."""
    cfg = run_files.read_config(run_dir)
    header, rows = run_files.read_progress(run_dir, verify=False)
    cols = {}
    for i, key in enumerate(header):
        vals = []
        for r in rows:
            try:
                vals.append(float(r[i]))
            except ValueError:
                vals.append(np.nan)
        cols[key] = np.asarray(vals)
    return dict(dir=run_dir, cfg=cfg, cols=cols, seed=cfg.get("seed"))


# config.json entries that are not settings: the seed (a group's runs differ by it) and what
# every run writes about itself.
NOT_SETTINGS = ("seed", "logger_kwargs", "exp_name", "algo", "env_fn", "spinup_format",
                "spinup_code", "spinup_checksum", "population")


def settings(cfg):
    """A run's settings: its config.json without the seed and the bookkeeping."""
    return {k: v for k, v in cfg.items() if k not in NOT_SETTINGS}


def _settings_key(cfg):
    return json.dumps(settings(cfg), sort_keys=True, default=str)


def collect(dirs, note):
    """{(algo, backend, env, settings as JSON): [run, ...]} of every readable run under
    ``dirs``."""
    groups = {}
    for d in dirs:
        if not osp.isdir(d):
            note(f"{d}: not a folder; left out")
            continue
        found = [r for r in run_files.find_run_dirs(d)
                 if osp.isfile(osp.join(r, run_files.PROGRESS))]
        if not found:
            note(f"{d}: no runs there (no folder holds config.json and progress.txt)")
            continue
        for r in found:
            try:
                run = read_run(r)
            except (InputError, OSError, ValueError) as e:  # RunFileError is an InputError
                note(f"{r}: left out ({e})")
                continue
            if not len(next(iter(run["cols"].values()), [])):
                note(f"{r}: left out (no epoch logged yet)")
                continue
            algo, _, backend = run["cfg"]["algo"].rpartition("_")
            groups.setdefault((algo or backend, backend if algo else "", env_id(run["cfg"]),
                               _settings_key(run["cfg"])), []).append(run)
    return groups


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------
def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def metric_of(runs):
    """The test return when every run logs it, else the training return (None: neither)."""
    for m in METRICS:
        if all(m in r["cols"] for r in runs):
            return m
    return None


def curve_figure(runs, title, path):
    """Mean +- std over seeds of the return against env interactions (each seed thin)."""
    metric = metric_of(runs)
    if metric is None or not all("TotalEnvInteracts" in r["cols"] for r in runs):
        return None
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    n = min(len(r["cols"][metric]) for r in runs)
    for r in runs:
        ax.plot(r["cols"]["TotalEnvInteracts"], r["cols"][metric], lw=0.8, alpha=0.45,
                label=f"seed {r['seed']}")
    x = runs[0]["cols"]["TotalEnvInteracts"][:n]
    ys = np.stack([r["cols"][metric][:n] for r in runs])
    mean, std = np.nanmean(ys, 0), np.nanstd(ys, 0)
    ax.plot(x, mean, color="black", lw=2, label=f"mean of {len(runs)}")
    ax.fill_between(x, mean - std, mean + std, color="gray", alpha=0.25)
    ax.set_xlabel("TotalEnvInteracts")
    ax.set_ylabel(metric)
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return metric


def phase_times(runs):
    """{phase: seconds per epoch}: the median over epochs (the first left out when there are
    more) of each run, averaged over the runs."""
    out = {}
    for p in PHASES:
        per_run = []
        for r in runs:
            vals = r["cols"].get("Time" + p)
            if vals is not None and len(vals):
                per_run.append(float(np.nanmedian(vals[1:] if len(vals) > 1 else vals)))
        if per_run:
            out[p] = float(np.mean(per_run))
    return out


def phase_figure(times, title, path):
    """Horizontal bars: seconds per epoch of each phase."""
    if not times:
        return False
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.45 * len(times)))
    names = list(times)[::-1]
    vals = [times[p] for p in names]
    ax.barh(names, vals, color="#4c72b0")
    for i, v in enumerate(vals):
        ax.annotate(f" {v:.3g} s", (v, i), va="center", fontsize=8)
    ax.set_xlabel("seconds per epoch (median over epochs, mean over seeds)")
    ax.set_xlim(0, max(vals) * 1.25 or 1)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return True


# ---------------------------------------------------------------------------------------------
# Profiles
# ---------------------------------------------------------------------------------------------
def func_label(func):
    fname, line, name = func
    return name if fname == "~" else f"{osp.basename(fname)}:{line}({name})"


def top_functions(stats, n=15):
    """(cumulative s, own s, calls, function) of the ``n`` functions with the most cumulative
    time."""
    rows = [(ct, tt, nc, func_label(f)) for f, (cc, nc, tt, ct, _) in stats.stats.items()]
    return sorted(rows, key=lambda r: -r[0])[:n]


def icicle_boxes(stats, max_depth=24, min_share=0.004):
    """(depth, start, width, func, seconds) boxes of an icicle graph: the functions the
    profile entered first on top, each callee under its caller, as wide as the time spent in
    it from there. cProfile keeps caller->callee totals, not whole stacks, so a function
    called from several places splits its callees in proportion to its time from each."""
    callees = {}
    for func, (cc, nc, tt, ct, callers) in stats.stats.items():
        for caller, edge in callers.items():
            callees.setdefault(caller, []).append((func, edge[3]))
    roots = [(f, v[3]) for f, v in stats.stats.items() if not v[4]]
    total = sum(t for _, t in roots) or 1.0
    boxes = []

    def place(func, start, width, depth, path):
        boxes.append((depth, start, width, func, width * total))
        own = stats.stats[func][3] or 1e-12
        scale = width * total / own  # this box's share of the function's time
        x = start
        for child, t in sorted(callees.get(func, []), key=lambda c: -c[1]):
            w = min(t * scale / total, start + width - x)
            if child in path or w < min_share or depth + 1 >= max_depth:
                continue
            place(child, x, w, depth + 1, path | {child})
            x += w

    x = 0.0
    for func, t in sorted(roots, key=lambda r: -r[1]):
        if t / total >= min_share:
            place(func, x, t / total, 0, {func})
        x += t / total
    return boxes, total


def icicle_svg(stats, width=1000, row=18):
    """The icicle graph as inline SVG (hover a box for its function and time)."""
    boxes, total = icicle_boxes(stats)
    depth = max((b[0] for b in boxes), default=0) + 1
    out = [f'<svg class="icicle" viewBox="0 0 {width} {depth * row}" '
           f'xmlns="http://www.w3.org/2000/svg" role="img" '
           f'aria-label="icicle graph of the profile">']
    for d, start, w, func, secs in boxes:
        x, px = start * width, w * width
        hue = zlib.crc32(func[0].encode()) % 360
        label = func_label(func)
        tip = html.escape(f"{label}: {secs:.3f} s ({w:.1%})")
        out.append(f'<g><title>{tip}</title><rect x="{x:.2f}" y="{d * row}" '
                   f'width="{max(px - 0.5, 0.5):.2f}" height="{row - 1}" '
                   f'fill="hsl({hue},55%,72%)"/>')
        chars = int(px / 6.5)
        if chars >= 4:
            text = label if len(label) <= chars else label[:chars - 1] + "\u2026"
            out.append(f'<text x="{x + 2:.2f}" y="{d * row + row - 5}" font-size="11">'
                       f'{html.escape(text)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out)


def find_files(run_dir, predicate, skip=SKIP_DIRS):
    """Files under a run folder whose name passes ``predicate``, outside ``skip``."""
    found = []
    for root, dirs, files in os.walk(run_dir):
        if root == run_dir:
            dirs[:] = [d for d in dirs if d not in skip]
        dirs.sort()
        found += [osp.join(root, f) for f in sorted(files) if predicate(f)]
    return found


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------
CSS = """body{font-family:system-ui,sans-serif;max-width:1040px;margin:2em auto;padding:0 1em;
color:#222}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;font-size:13px}td,th{padding:2px 8px;text-align:right}
td:last-child,th:last-child{text-align:left;font-family:monospace}
tr:nth-child(even){background:#f4f4f4}
img,video{max-width:100%}.icicle{width:100%;height:auto;font-family:monospace}
.icicle text{pointer-events:none}.notes li{color:#8a4b00}pre{font-size:12px;overflow-x:auto;
background:#f7f7f7;padding:.5em}nav a{margin-right:1em}"""


def slug(key):
    """The group's anchor: algorithm, backend, env, and a short hash of its settings."""
    algo, backend, env, conf = key
    tag = f"{zlib.crc32(conf.encode()):08x}"
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", "_".join(k for k in (algo, backend, env, tag) if k))


def _nav_text(key, differs):
    text = "_".join(k for k in key[:3] if k)
    return f"{text} [{differs}]" if differs else text


def differing(keys):
    """{key: 'name=value, ...'}: the settings in which each group differs from the others of
    its algorithm, backend and env ('' when it is the only one)."""
    out = {}
    for key in keys:
        peers = [json.loads(k[3]) for k in keys if k[:3] == key[:3]]
        mine = json.loads(key[3])
        names = sorted({n for p in peers for n in set(p) | set(mine)
                        if any(p.get(n) != mine.get(n) for p in peers)})
        out[key] = ", ".join(f"{n}={mine[n]!r}" if n in mine else f"no {n}" for n in names)
    return out


def group_section(key, runs, out, note, differs=""):
    """The HTML of one group; its figures and media go under ``out``. ``differs``: the
    settings that set it apart from the other groups of its algorithm, backend and env."""
    algo, backend, env, conf = key
    name = f"{algo} ({backend}) on {env}" if backend else f"{algo} on {env}"
    if differs:
        name += f" [{differs}]"
    s, esc = slug(key), html.escape
    seeds = ", ".join(str(r["seed"]) for r in runs)
    listing = "".join(f"<li><code>{esc(k)}</code> = <code>{esc(json.dumps(v, default=str))}"
                      f"</code></li>" for k, v in sorted(json.loads(conf).items()))
    parts = [f'<h2 id="{esc(s)}">{esc(name)}</h2>',
             f"<p>{len(runs)} run(s), seeds {esc(seeds)}; "
             f"{len(runs[0]['cols'].get('TotalEnvInteracts', []))} epoch(s) in the first.</p>",
             f"<details><summary>Settings (the same in every run of the group; config.json "
             f"without the seed)</summary><ul class='settings'>{listing}</ul></details>"]

    metric = curve_figure(runs, f"{name}: learning curve", osp.join(out, "img", s + "_curve.png"))
    if metric:
        parts.append(f'<h3>Learning curve ({esc(metric)})</h3>'
                     f'<img src="img/{esc(s)}_curve.png" alt="learning curve of {esc(name)}">')
    else:
        note(f"{name}: no learning curve (the runs do not all log TotalEnvInteracts and "
             f"{' or '.join(METRICS)})")

    if phase_figure(phase_times(runs), f"{name}: time per epoch",
                    osp.join(out, "img", s + "_phases.png")):
        parts.append(f'<h3>Time per epoch, by phase</h3><img src="img/{esc(s)}_phases.png" '
                     f'alt="phase times of {esc(name)}">')

    parts += profile_parts(runs, name, note)
    parts += trace_parts(runs)
    parts += video_parts(runs, name, s, out, note)
    return "\n".join(parts)


def profile_parts(runs, name, note):
    """The top of the first readable cProfile of the group, and its icicle graph."""
    profs = [p for r in runs for p in find_files(osp.join(r["dir"], "profile"),
                                                   lambda f: f.endswith(".prof"), skip=())]
    for path in profs:
        try:
            stats = pstats.Stats(path)
        except Exception as e:  # pstats raises whatever unmarshalling a damaged file does
            note(f"{name}: profile {path} is unreadable ({type(e).__name__}: {e}); left out")
            continue
        esc = html.escape
        rows = "".join(f"<tr><td>{ct:.3f}</td><td>{tt:.3f}</td><td>{nc}</td>"
                       f"<td>{esc(w)}</td></tr>" for ct, tt, nc, w in top_functions(stats))
        return [f"<h3>Profile: {esc(osp.basename(path))}</h3>"
                f"<p>From <code>{esc(path)}</code>. cProfile sees Python calls; a jitted "
                f"function or a C++ kernel is one box (see the trace for inside it).</p>"
                "<table><tr><th>cumulative s</th><th>own s</th><th>calls</th>"
                f"<th>function</th></tr>{rows}</table>"
                "<h4>Icicle graph (hover a box)</h4>" + icicle_svg(stats)]
    if not profs:
        note(f"{name}: no profile (train with --profile update to record one)")
    return []


def trace_parts(runs):
    """The op summary of the group's framework trace, when one was recorded."""
    for r in runs:
        path = osp.join(r["dir"], "profile", "trace", "ops.txt")
        if osp.isfile(path):
            with open(path, encoding="utf-8", errors="replace") as f:
                text = f.read()
            return ["<h3>Framework trace (--profile trace): ops by self time</h3>"
                    f"<pre>{html.escape(text)}</pre>"]
    return []


def video_parts(runs, name, s, out, note):
    """The first readable video of the group, copied into the site."""
    vids = [p for r in runs for p in find_files(r["dir"], lambda f: f.endswith(VIDEO_EXTS))]
    for path in vids:
        try:
            with open(path, "rb") as f:
                head = f.read(16)
        except OSError as e:
            note(f"{name}: video {path} is unreadable ({e.strerror}); left out")
            continue
        if len(head) < 16:
            note(f"{name}: video {path} is empty or cut short; left out")
            continue
        ext = osp.splitext(path)[1]
        dest = osp.join("media", s + ext)
        shutil.copyfile(path, osp.join(out, dest))
        tag = (f'<img src="{dest}" alt="video of {html.escape(name)}">' if ext == ".gif" else
               f'<video src="{dest}" controls loop muted preload="metadata"></video>')
        return [f"<h3>Video</h3>{tag}"]
    if not vids:
        note(f"{name}: no video ({video_hint(env_id(runs[0]['cfg']), runs[0]['dir'])})")
    return []


def needs_pygame(env):
    """Whether gymnasium draws ``env``'s frames with pygame (classic control, Box2D, toy
    text) rather than with MuJoCo's renderer."""
    try:
        import gymnasium
        entry = gymnasium.spec(env).entry_point
    except Exception:  # an env this machine does not know: nothing to say about it
        return False
    entry = entry if isinstance(entry, str) else getattr(entry, "__module__", "")
    return any(part in entry for part in ("classic_control", "box2d", "toy_text"))


def video_hint(env, run, have_pygame=None):
    """How to record the missing video of ``run``: the command, and first what it needs
    where this machine lacks it (pygame, for the envs gymnasium draws with it)."""
    if have_pygame is None:
        import importlib.util
        have_pygame = importlib.util.find_spec("pygame") is not None
    command = (f"python -m spinup.run test_policy {run} --video "
               f"{osp.join(run, 'video.gif')}")
    if needs_pygame(env) and not have_pygame:
        return (f"{env} is drawn with pygame, which is not installed: pip install pygame "
                f"(or spinup's video extra, pip install -e \".[video]\"), then {command}")
    return f"record one: {command}"


def build(dirs, out):
    """Write the site into ``out``; returns (groups built, notes)."""
    if osp.exists(out) and not osp.isdir(out):
        raise InputError(f"--out {out!r} is a file; expected a folder for the site")
    notes = []
    note = notes.append
    groups = collect(dirs, note)
    for sub in ("img", "media"):
        os.makedirs(osp.join(out, sub), exist_ok=True)
    labels = differing(list(groups))
    sections = [group_section(k, groups[k], out, note, labels[k]) for k in sorted(groups)]
    esc = html.escape
    nav = " ".join(f'<a href="#{esc(slug(k))}">{esc(_nav_text(k, labels[k]))}</a>'
                   for k in sorted(groups))
    body = "\n".join(sections) if sections else "<p>No runs to show.</p>"
    notes_html = ("<h2>Notes</h2><ul class='notes'>" +
                  "".join(f"<li>{esc(n)}</li>" for n in notes) + "</ul>") if notes else ""
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>spinup report</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><style>{CSS}</style></head><body>
<h1>spinup report</h1>
<p>{len(groups)} group(s) of runs from {esc(', '.join(dirs))}. Made by
<code>python -m spinup.run report</code>.</p>
<nav>{nav}</nav>
{body}
{notes_html}
</body></html>
"""
    with open(osp.join(out, "index.html"), "w", encoding="utf-8") as f:
        f.write(page)
    return len(groups), notes


def main(argv=None):
    p = argparse.ArgumentParser(
        prog="python -m spinup.run report",
        description="A static site of runs (learning curves, phase times, profiles, traces, "
                    "videos), grouped by algorithm, backend, env and settings (a grid's "
                    "variants apart, seeds together); publishable as it is.")
    p.add_argument("dirs", nargs="+", metavar="DIR", help="run, experiment or data folders")
    p.add_argument("--out", required=True, metavar="SITE", help="folder to write the site to")
    args = p.parse_args(argv)
    built, notes = build(args.dirs, args.out)
    for n in notes:
        print(f"report: {n}")
    print(f"wrote {osp.join(args.out, 'index.html')}: {built} group(s)")
    return 0 if built else 1

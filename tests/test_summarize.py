"""`summarize`: variants ranked on synthetic progress files whose answers are known."""
import csv

import numpy as np
import pytest

from spinup.algos.common.checks import InputError
from spinup.commands.summarize import summarize, summarize_runs
from spinup.run import main

COLS = ["Epoch", "AverageEpRet", "AverageTestEpRet", "TotalEnvInteracts", "Time"]


def write_run(root, variant, seed, test_returns, steps_per_epoch=1000, secs_per_epoch=2.0,
              cols=COLS):
    run = root / variant / f"{variant}_s{seed}"
    run.mkdir(parents=True)
    rows = ["\t".join(cols)]
    for i, r in enumerate(test_returns):
        vals = dict(Epoch=i, AverageEpRet=r / 2, AverageTestEpRet=r,
                    TotalEnvInteracts=(i + 1) * steps_per_epoch, Time=(i + 1) * secs_per_epoch)
        rows.append("\t".join(str(vals[c]) for c in cols))
    (run / "progress.txt").write_text("\n".join(rows) + "\n")
    return run


@pytest.fixture
def grid(tmp_path):
    # 'mid' is best at its peak but ends below 'good'; only the last K epochs count.
    for seed, tail in ((0, [90, 100]), (10, [110, 120])):
        write_run(tmp_path, "good", seed, [0, 0, 0] + tail)
    for seed, tail in ((0, [500, 10]), (10, [500, 30])):
        write_run(tmp_path, "mid", seed, [0, 0, 0] + tail, secs_per_epoch=4.0)
    write_run(tmp_path, "bad", 0, [5, 5, 5, -10, -20], steps_per_epoch=500)
    return tmp_path


def test_ranks_by_mean_over_seeds_of_the_last_k_epochs(grid, capsys):
    rows = summarize(str(grid), last=2)
    assert [r["variant"] for r in rows] == ["mid", "good", "bad"]  # last 2: 255/265, 95/115
    mid, good, bad = rows
    assert mid["metric"] == "AverageTestEpRet"
    assert good["mean"] == pytest.approx(np.mean([95, 115]))
    assert good["std"] == pytest.approx(np.std([95, 115]))
    assert (good["seeds"], good["epochs"], good["rank"]) == (2, 5, 2)
    assert bad["mean"] == pytest.approx(-15) and bad["std"] == 0
    # wall time = last Time; env steps per second = last TotalEnvInteracts / last Time
    assert good["wall_time_s"] == pytest.approx(10.0)
    assert good["env_steps_per_s"] == pytest.approx(500.0)
    assert mid["env_steps_per_s"] == pytest.approx(250.0)
    assert bad["env_steps_per_s"] == pytest.approx(250.0)

    assert [r["variant"] for r in summarize(str(grid), last=1)] == ["good", "mid", "bad"]
    out = capsys.readouterr().out
    assert "Variants ranked by AverageTestEpRet" in out
    assert "  1  good" in out and "110.0 +- 10.0" in out
    with open(grid / "summary.csv") as f:
        saved = list(csv.DictReader(f))
    assert [r["variant"] for r in saved] == ["good", "mid", "bad"]
    assert float(saved[0]["mean"]) == pytest.approx(110.0)


def test_metric_choice(grid, tmp_path_factory):
    _, rows = summarize_runs([str(p) for p in grid.glob("*/*_s*")], metric="AverageEpRet",
                             last=2)
    assert rows[0]["metric"] == "AverageEpRet"
    assert rows[1]["mean"] == pytest.approx(np.mean([95, 115]) / 2)
    # the training return is the default where a run has no test return (VPG)
    vpg = tmp_path_factory.mktemp("vpg")
    write_run(vpg, "a", 0, [1, 2], cols=["Epoch", "AverageEpRet", "TotalEnvInteracts", "Time"])
    assert summarize(str(vpg))[0]["metric"] == "AverageEpRet"
    with pytest.raises(InputError, match="'Nope': 1 run"):
        summarize(str(vpg), metric="Nope")


def test_cli(grid, tmp_path, capsys):
    assert main(["summarize", str(grid), "--metric", "AverageEpRet", "--last", "1",
                 "--out", str(tmp_path / "s.csv")]) == 0
    assert "Variants ranked by AverageEpRet" in capsys.readouterr().out
    assert (tmp_path / "s.csv").read_text().startswith("rank,variant,metric,mean,std")


@pytest.mark.parametrize("args,fragment", [
    (["EMPTY"], "no runs under"),
    (["NOROWS"], "no rows in NOROWS/r/progress.txt"),
    (["MISSING"], "is not a folder"),
    (["GRID", "--last", "0"], "--last=0"),
    (["GRID", "--metric", "Nope"], "do not log it"),
])
def test_bad_input(args, fragment, grid, tmp_path_factory, capsys):
    empty = tmp_path_factory.mktemp("empty")
    (empty / "some_run").mkdir()  # a folder, but no progress.txt anywhere
    norows = tmp_path_factory.mktemp("norows")
    (norows / "r").mkdir()
    (norows / "r" / "progress.txt").write_text("")  # a run killed before its first epoch
    paths = dict(EMPTY=str(empty), MISSING=str(empty / "nope"), GRID=str(grid),
                 NOROWS=str(norows))
    assert main(["summarize"] + [paths.get(a, a) for a in args]) == 2
    err = capsys.readouterr().err.strip()
    fragment = fragment.replace("NOROWS", str(norows))
    assert err.startswith("error: ") and fragment in err and len(err.splitlines()) == 1


def test_the_header_says_how_many_epochs_were_averaged(tmp_path, capsys):
    """Runs shorter than --last are averaged over what they have, and the header says so."""
    write_run(tmp_path, "short", 0, [1, 2])
    write_run(tmp_path, "longer", 0, [1, 2, 3])
    summarize(str(tmp_path), last=5)
    out = capsys.readouterr().out
    assert "over its last 2-3 epochs" in out and "last 5" not in out
    summarize(str(tmp_path), last=2)
    assert "over its last 2 epochs" in capsys.readouterr().out

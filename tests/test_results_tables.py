"""The committed benchmark results (per env docs/results/<env>_v4.csv and the tables of
docs/results.md, and the README's grid) are what scripts/results.py makes from the committed
run folders: no number in them is typed by hand or left stale."""
import importlib.util
import os.path as osp

import numpy as np
import pytest

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), "..")


@pytest.fixture(scope="module")
def results():
    spec = importlib.util.spec_from_file_location(
        "results", osp.join(ROOT, "scripts", "results.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, mod.load_all()


def test_every_committed_run_is_read(results):
    mod, all_runs = results
    names = {f"{a}_{b}_s{s}" for (a, b), seeds in all_runs["HalfCheetah-v4"].items()
             for s in seeds}
    assert "td3_jax_s0" in names and "vpg_pytorch_s0" in names
    assert "Hopper-v4" in all_runs
    for env, runs in all_runs.items():
        for (algo, _), seeds in runs.items():
            for cols in seeds.values():
                # each run went its full benchmark length, with every epoch once
                assert cols["TotalEnvInteracts"][-1] == mod.STEPS[algo], (env, algo)
                first = 0 if algo in mod.ON_POLICY else 1  # SpinningUp's on-policy epochs
                assert list(cols["Epoch"]) == list(range(first, first + len(cols["Epoch"])))


def test_csv_is_made_from_the_runs(results):
    mod, all_runs = results
    for env, runs in all_runs.items():
        with open(mod.csv_path(env), newline="") as f:
            assert f.read() == mod.csv_text(runs), f"{env}: rerun python scripts/results.py"


def test_results_md_tables_are_made_from_the_runs(results):
    mod, all_runs = results
    for env, runs in all_runs.items():
        _, between, _ = mod.split_at_markers(mod.RESULTS_MD, env)
        assert between == mod.results_md_body(env, runs), \
            f"docs/results.md, {env}: rerun python scripts/results.py"


def test_readme_grid_is_made_from_the_runs(results):
    mod, all_runs = results
    _, between, _ = mod.split_at_markers(mod.README)
    assert between == mod.readme_body(all_runs), "README.md: rerun python scripts/results.py"


def test_seed_spread_agrees_with_the_tables():
    """scripts/seed_spread.py (the numbers behind a shortfall's investigation) reads the same
    runs as the tables: its per-backend mean +- std is the table's; bad input is named."""
    import re
    import subprocess
    import sys
    script = osp.join(ROOT, "scripts", "seed_spread.py")
    out = subprocess.run([sys.executable, script, "Hopper-v4", "ppo"], capture_output=True,
                         text=True, check=True).stdout
    with open(osp.join(ROOT, "docs", "results.md")) as f:
        md = f.read().split("<!-- tables: Hopper-v4")[1].split("<!-- tables: end -->")[0]
    for backend in ("jax", "pytorch"):
        mean, std = re.search(rf"  {backend}: last-epoch return (\d+) \+- (\d+) over 3",
                              out).groups()
        row = next(line for line in md.splitlines()
                   if line.startswith(f"| PPO | {backend} | 0, 10, 20 | 3M |"))
        assert f"| {mean} +- {std} |" in row
    assert re.search(r"Welch's t-test on last-epoch returns: t = -?[\d.]+, p = [\d.]+", out)
    bad = subprocess.run([sys.executable, script, "Hopper-v4", "a2c"], capture_output=True,
                         text=True)
    assert bad.returncode == 2 and "invalid choice: 'a2c'" in bad.stderr


def test_seed_spread_sets_the_committed_lone_pytorch_run_against_jax():
    """On the committed Hopper DDPG runs (JAX seeds 0, 10, 20; PyTorch seed 0 alone) the
    script prints the lone run's three comparisons, with the JAX mean of each measure."""
    import re
    import subprocess
    import sys
    out = subprocess.run([sys.executable, osp.join(ROOT, "scripts", "seed_spread.py"),
                          "Hopper-v4", "ddpg"], capture_output=True, text=True,
                         check=True).stdout
    lines = re.findall(r"  pytorch s0's (last epoch|mean of last 10|whole-run mean) -?\d+ "
                       r"against jax's (-?\d+), sd \(n-1\) \d+ over 3: .*, (inside|OUTSIDE)\n",
                       out)
    assert [m[0] for m in lines] == ["last epoch", "mean of last 10", "whole-run mean"]
    jax_last = re.search(r"  jax: last-epoch return (-?\d+) \+- \d+ over 3", out).group(1)
    assert lines[0][1] == jax_last


def test_seed_spread_sets_a_lone_run_against_the_other_backends_seeds():
    """A backend with one run (PyTorch seed 0 of the off-policy algorithms on Hopper) is judged
    by the other backend's 95% prediction interval: mean +- t(0.975, n-1) * sd * sqrt(1 + 1/n)
    (for 1, 2, 3: 2 +- 4.303 * 1 * 1.1547), on the last epoch, the last 10 and the whole run."""
    import sys
    sys.path.insert(0, osp.join(ROOT, "scripts"))
    import seed_spread
    lo, hi = seed_spread.prediction_interval([1.0, 2.0, 3.0])
    assert np.isclose(lo, 2 - 4.3027 * 1.1547, atol=1e-3)
    assert np.isclose(hi, 2 + 4.3027 * 1.1547, atol=1e-3)
    with pytest.raises(ValueError, match="at least 2 values, got 1"):
        seed_spread.prediction_interval([1.0])
    others = [np.full(20, 100.0) + s for s in (-10, 0, 10)]  # last epoch 90, 100, 110
    # ends inside (last epoch 105, last 10 epochs 105.5), the whole run far below
    near = np.r_[np.full(10, -61.0), np.full(9, 105.5), 105.0]
    lines = seed_spread.lone_run_lines("pytorch s0", near, "jax", others)
    assert [line.split(" against ")[0] for line in lines] == [
        "  pytorch s0's last epoch 105", "  pytorch s0's mean of last 10 105",
        "  pytorch s0's whole-run mean 22"]
    assert [line.endswith("inside") for line in lines] == [True, True, False]
    assert "z = +0.50" in lines[0] and "z = +0.55" in lines[1]
    assert "jax's 100, sd (n-1) 10 over 3" in lines[0]
    flat = seed_spread.lone_run_lines("pytorch s0", near, "jax", [np.full(20, 7.0)] * 2)
    assert all("no spread, 95% prediction interval 7 to 7, OUTSIDE" in x for x in flat)


def test_seed_spread_best_of_the_mean_curve_and_early_test_ends():
    """Tianshou's measure is the highest point of the seed-mean curve up to 1M steps, not the
    mean of each seed's best; a test episode ended early where the mean test length of an
    epoch is under the run's max_ep_len (on-policy runs have no test length and say nothing)."""
    import sys
    sys.path.insert(0, osp.join(ROOT, "scripts"))
    import seed_spread
    steps = np.array([500_000, 1_000_000, 1_500_000])
    curves = [np.array([10.0, 0.0, 99.0]), np.array([0.0, 8.0, 99.0])]  # seed bests 10 and 8
    assert seed_spread.best_of_mean_curve(curves, steps) == (5.0, 500_000)  # 99 is past 1M
    curves = [np.array([10.0, 7.0, 99.0]), np.array([0.0, 8.0, 99.0])]
    assert seed_spread.best_of_mean_curve(curves, steps) == (7.5, 1_000_000)  # 1M counts
    assert seed_spread.best_of_mean_curve(curves, steps, within=400_000) is None
    # only the last 50 epochs count, against the env's limit, not the run's longest episode
    lens = np.r_[412.0, np.full(59, 1000.0), 990.0, np.full(9, 1000.0), 412.0]
    assert seed_spread.early_ends({"TestEpLen": lens}, 1000) == \
        "; a test episode ended early in 2 of them"
    assert seed_spread.early_ends({"TestEpLen": np.full(70, 800.0)}, 1000) == \
        "; a test episode ended early in 50 of them"
    assert seed_spread.early_ends({"EpLen": lens}, 1000) == ""

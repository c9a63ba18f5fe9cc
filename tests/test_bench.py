"""The update-step benchmark: quick mode end to end, and its input check."""
import json

import pytest

from spinup.algos.common.checks import InputError
from spinup.commands import bench


def test_bench_quick_writes_both_algorithms(tmp_path):
    path = tmp_path / "b.json"
    assert bench.main(["--quick", "--no_compile", "--json", str(path)]) == 0
    data = json.loads(path.read_text())
    assert data["quick"] is True
    assert data["machine"]["cpu_count"] >= 1 and data["machine"]["gemm_gflops"] > 0
    for algo, unit in (("vpg", "ms_per_update"), ("td3", "us_per_update")):
        run = data[algo]["runs"][data[algo]["headline"]]
        for backend in ("pytorch", "jax"):
            assert run[f"{backend}_{unit}"] > 0
            assert run[f"{backend}_first_call_s"] > 0
            assert run[f"{backend}_gflops"] > 0
        assert run["jax_over_pytorch"] > 0
        assert run["flops_per_update"] > 0


def test_bench_times_three_contenders_with_jax_against_the_best_pytorch(tmp_path, capsys):
    """PyTorch eager, PyTorch compiled and JAX, alternating; the headline ratio is JAX over
    the fastest PyTorch, and compiling is whole graphs without a break."""
    path = tmp_path / "b.json"
    assert bench.main(["td3", "ppo", "--quick", "--json", str(path)]) == 0
    out = capsys.readouterr().out
    data = json.loads(path.read_text())
    for algo, unit in (("td3", "us_per_update"), ("ppo", "ms_per_update")):
        run = data[algo]["runs"][data[algo]["headline"]]
        assert run["contenders"] == ["pytorch", "pytorch_compiled", "jax"]
        times = {n: run[f"{n}_{unit}"] for n in run["contenders"]}
        best = min(("pytorch", "pytorch_compiled"), key=times.get)
        assert run["best_pytorch"] == best
        assert run["jax_over_best_pytorch"] == pytest.approx(times["jax"] / times[best])
        assert run["pytorch_compiled_over_eager"] == pytest.approx(
            times["pytorch_compiled"] / times["pytorch"])
        assert run["pytorch_compiled_graphs"] >= 1 and run["pytorch_compiled_graph_breaks"] == 0
    assert "PyTorch compiled / eager" in out and "JAX / best PyTorch" in out
    header = next(line for line in out.splitlines() if line.startswith("algo"))
    assert "PT compiled" in header and "JAX/best PT" in header


def test_bench_unknown_algorithm_raises_before_work(monkeypatch):
    monkeypatch.setattr(bench, "run_bench", lambda *a, **k: pytest.fail("work was started"))
    with pytest.raises(InputError, match="'a2c'"):
        bench.main(["vpg", "a2c"])


def test_vpg_flops_counts_value_iterations():
    one = bench.vpg_update_flops(17, 6, (64, 32), 4000, train_v_iters=1)
    many = bench.vpg_update_flops(17, 6, (64, 32), 4000, train_v_iters=80)
    per_v_step = 2 * 4000 * (17 * 64 + 64 * 32 + 32) * 3 - 2 * 4000 * 17 * 64
    assert many - one == 79 * per_v_step


def test_whole_run_timing_reads_the_phase_columns(tmp_path):
    """bench --runs times a real short run in a fresh process and reads its phase times;
    the table reports the ratios the speed targets are stated in."""
    from spinup.commands import bench_runs
    wall, medians = bench_runs.time_run(
        "vpg_jax", ["--epochs", "3", "--steps_per_epoch", "200", "--train_v_iters", "2",
                    "--hid", "(8,)"], str(tmp_path), "tiny run")
    assert wall > 0 and len(medians) == 1
    m = medians[0]
    assert set(m) == set(bench_runs.PHASES) and m["TimeEpoch"] >= m["TimeEnv"] > 0
    runs = {name: dict(m, wall=wall, members=1, steps_per_epoch=200,
                       steps_per_s=200 / m["TimeEpoch"], act_us_per_step=1.0)
            for name, *_ in bench_runs.cases(quick=True)}
    text = bench_runs.format_runs({"floor_seconds_per_4000_steps": 0.5, "runs": runs})
    assert "TD3 epoch, JAX / PyTorch:              1.00" in text
    assert f"VPG JAX epoch / env floor:             {m['TimeEpoch'] / 0.5:.2f}" in text
    # Timing only VPG's runs (bench --runs vpg): the TD3 ratios are left out, not faked.
    vpg_only = {k: v for k, v in runs.items() if k.startswith("vpg")}
    text = bench_runs.format_runs({"floor_seconds_per_4000_steps": 0.5, "runs": vpg_only})
    assert "VPG epoch, JAX / PyTorch" in text and "TD3" not in text


def test_whole_run_bench_refuses_an_unknown_algorithm(capsys):
    from spinup.commands import bench_runs
    with pytest.raises(SystemExit):
        bench_runs.main(["a2c"])
    assert "unknown algorithm 'a2c' for bench --runs: expected one of" in capsys.readouterr().err


def test_xla_flag_sweep_script_times_each_flag_set():
    """scripts/xla_flag_sweep.py (run as a user would) times the update under each named flag
    set in its own process; an unknown set is refused before anything runs."""
    import pathlib
    import subprocess
    import sys
    script = pathlib.Path(__file__).resolve().parents[1] / "scripts" / "xla_flag_sweep.py"
    out = subprocess.run([sys.executable, str(script), "--rounds", "1", "--blocks", "1",
                          "--algos", "td3", "--sets", "default", "512-bit vectors"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    table = out.stdout.split("\n\n")[-1].splitlines()
    assert table[0].split() == ["flags", "TD3", "us/update"]
    rows = {line[:24].strip(): line[24:].split() for line in table[1:]}
    assert set(rows) == {"default", "512-bit vectors"}
    assert all(float(v[0]) > 0 for v in rows.values())
    bad = subprocess.run([sys.executable, str(script), "--sets", "fastest"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--sets ['fastest']" in bad.stderr


def test_torch_overhead_script_compares_fused_adam_and_counts_operators(tmp_path):
    """scripts/torch_overhead.py (run as a user would) times the learner's Adam against a fused
    one and profiles an update; the fused learner really runs fused Adams; bad input is
    refused before anything runs."""
    import json
    import os
    import pathlib
    import subprocess
    import sys

    import torch
    root = pathlib.Path(__file__).resolve().parents[1]
    script = root / "scripts" / "torch_overhead.py"
    path = tmp_path / "o.json"
    out = subprocess.run([sys.executable, str(script), "--algos", "sac", "--blocks", "1",
                          "--json", str(path)], capture_output=True, text=True, timeout=300,
                         env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert out.returncode == 0, out.stderr
    (r,) = json.loads(path.read_text())["results"]
    assert r["algo"] == "sac" and r["device"] == "cpu"
    assert r["default_us_per_update"] > 0 and r["fused_us_per_update"] > 0
    # SAC's update: two Q nets, the policy and alpha's loss; far more than a few operators
    assert 50 < r["top_level_ops_per_update"] < 1000
    assert "kernels_per_update" not in r  # no GPU: no kernels counted
    sys.path.insert(0, str(root / "scripts"))
    try:
        from torch_overhead import fuse_optimizers
    finally:
        sys.path.remove(str(root / "scripts"))
    from spinup.commands.bench import _learners, env_spaces
    learner = _learners("td3", ("pytorch",), *env_spaces(), (8,), 0)["pytorch"]
    params = [p for p in learner.q_optimizer.param_groups[0]["params"]]
    assert fuse_optimizers(learner) == 2
    assert learner.q_optimizer.defaults["fused"] is True
    assert learner.q_optimizer.param_groups[0]["params"] == params
    assert learner.optimizers["q"] is learner.q_optimizer  # the checkpoint's list, too
    with pytest.raises(ValueError, match="no torch.optim.Adam"):
        fuse_optimizers(torch.nn.Linear(2, 2))
    bad = subprocess.run([sys.executable, str(script), "--algos", "vpg"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "--algos vpg: expected any of ddpg td3 sac" in bad.stderr

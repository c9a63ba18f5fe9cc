"""scripts/device_check.sh, the GPU check, on its CPU path: every step on tiny sizes, so that
the script a GPU machine runs has run before (no GPU is needed for this test)."""
import json
import os
import subprocess


def test_device_check_runs_every_step_on_the_cpu(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run(["bash", "scripts/device_check.sh", "--cpu-tiny", "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "0 step(s) failed" in proc.stdout
    assert json.loads((out / "machine.json").read_text())["cpu_count"] >= 1
    assert all(r["ok"] for r in json.loads((out / "parity.json").read_text()))
    assert json.loads((out / "bench.json").read_text())["td3"]["runs"][0]["jax_us_per_update"] > 0
    pop = json.loads((out / "population.json").read_text())["algos"]["td3"]["runs"]
    assert set(pop) == {"1", "2"} and all(r["ms_per_block"] > 0 for r in pop.values())
    pop = json.loads((out / "population.json").read_text())["algos"]["td3_pytorch"]["runs"]
    assert set(pop) == {"1", "2"} and all(r["ms_per_block"] > 0 for r in pop.values())
    assert {"td3_jax", "td3_pytorch", "td3_pytorch_compiled"} <= set(os.listdir(out / "runs"))
    bench = json.loads((out / "bench.json").read_text())["td3"]["runs"][0]
    assert bench["contenders"] == ["pytorch", "pytorch_compiled", "jax"]
    (over,) = json.loads((out / "torch_overhead.json").read_text())["results"]
    assert over["algo"] == "td3" and over["fused_us_per_update"] > 0
    summary = (out / "summary.md").read_text()
    for part in ("## Parity", "## bench", "## Populations", "## PyTorch's update", "td3_jax_s0",
                 "td3_pytorch_s0"):
        assert part in summary


def test_device_check_dry_run_lists_the_gpu_steps(tmp_path):
    proc = subprocess.run(["bash", "scripts/device_check.sh", "--dry-run", "--out",
                           str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    for part in ("parity cuda", "bench --device cuda --quick",
                 "td3_pytorch --env HalfCheetah-v4 --epochs 3 --steps_per_epoch 2000 "
                 "--start_steps 1000 --update_after 1000 --num_test_episodes 2 --device cuda "
                 "--compile cudagraphs",
                 "--population td3 --sizes 1 4 16 64 --blocks 5 --backends jax pytorch "
                 "--device cuda", "td3_pytorch --env HalfCheetah-v4",
                 "--device cuda --exp_name td3_pytorch", "td3_jax --env HalfCheetah-v4",
                 "torch_overhead.py --device cuda --algos td3 sac ddpg"):
        assert part in text, part
    limits = [int(line.split("(limit ")[1].split(" s)")[0]) for line in text.splitlines()
              if line.startswith("== ")]
    assert sum(limits) <= 480  # the whole check fits in 8 minutes

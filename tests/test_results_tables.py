"""The committed HalfCheetah results (docs/results/halfcheetah_v4.csv, the tables of
docs/results.md and README.md) are what scripts/halfcheetah_results.py makes from the
committed run folders: no number in them is typed by hand or left stale."""
import importlib.util
import os.path as osp

import pytest

ROOT = osp.join(osp.dirname(osp.abspath(__file__)), "..")


@pytest.fixture(scope="module")
def results():
    spec = importlib.util.spec_from_file_location(
        "halfcheetah_results", osp.join(ROOT, "scripts", "halfcheetah_results.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, mod.load_runs()


def test_every_committed_run_is_read(results):
    mod, runs = results
    names = {f"{a}_{b}_s{s}" for (a, b), seeds in runs.items() for s in seeds}
    assert "td3_jax_s0" in names and "vpg_pytorch_s0" in names
    for (algo, _), seeds in runs.items():
        for cols in seeds.values():
            # each run went its full benchmark length, with every epoch once
            assert cols["TotalEnvInteracts"][-1] == mod.STEPS[algo]
            first = 0 if algo in ("vpg", "ppo") else 1  # SpinningUp's on-policy epochs: from 0
            assert list(cols["Epoch"]) == list(range(first, first + len(cols["Epoch"])))


def test_csv_is_made_from_the_runs(results):
    mod, runs = results
    with open(osp.join(ROOT, "docs", "results", "halfcheetah_v4.csv"), newline="") as f:
        assert f.read() == mod.csv_text(runs)


@pytest.mark.parametrize("doc, body", [("RESULTS_MD", "results_md_body"),
                                       ("README", "readme_body")])
def test_doc_tables_are_made_from_the_runs(results, doc, body):
    mod, runs = results
    _, between, _ = mod.split_at_markers(getattr(mod, doc))
    assert between == getattr(mod, body)(runs), \
        f"{doc}: rerun python scripts/halfcheetah_results.py"

"""ExperimentGrid and call_experiment: names, folders, real subprocesses, parallel workers."""
import os
import os.path as osp

import cloudpickle
import pytest

from spinup.algos.common.checks import InputError
from spinup.commands.run_utils import ExperimentGrid, call_experiment, setup_logger_kwargs
from tests.helpers import toy

# The launcher pickles the thunk into a fresh interpreter; ship the test module by value so the
# subprocess does not need the tests folder on its path.
cloudpickle.register_pickle_by_value(toy)


def test_setup_logger_kwargs_paths(tmp_path):
    kw = setup_logger_kwargs("exp", seed=3, data_dir=str(tmp_path))
    assert kw == dict(output_dir=osp.join(str(tmp_path), "exp", "exp_s3"), exp_name="exp")
    assert setup_logger_kwargs("exp", data_dir="d")["output_dir"] == osp.join("d", "exp")
    dated = setup_logger_kwargs("exp", seed=0, data_dir="d", datestamp=True)["output_dir"]
    top, sub = dated.split(os.sep)[1:]
    assert top.endswith("_exp") and len(top) == len("YYYY-MM-DD_exp")
    assert sub.endswith("-exp_s0") and len(sub) == len("YYYY-MM-DD_HH-MM-SS-exp_s0")


def spinningup_grid():
    eg = ExperimentGrid(name="ex")
    eg.add("env_name", "CartPole-v1", "", True)
    eg.add("seed", [0, 10])
    eg.add("epochs", 5)
    eg.add("ac_kwargs:hidden_sizes", [(32,), (64, 64)], "hid")
    eg.add("ac_kwargs:activation", ["tanh", "relu"])
    eg.add("use_gae", [True, False])
    return eg


def test_grid_names_match_spinningup():
    eg = spinningup_grid()
    variants = eg.variants()
    assert len(variants) == 2 * 2 * 2 * 2
    # SpinningUp's names for this grid (first key varies slowest; seed never in the name;
    # values lower-cased, tuples joined by '-'; a bool-only key shows its shorthand when True)
    names = [eg.variant_name(v) for v in variants[:8]]
    assert names == [
        "ex_cartpole-v1_hid32_ac-acttanh_use",
        "ex_cartpole-v1_hid32_ac-acttanh",
        "ex_cartpole-v1_hid32_ac-actrelu_use",
        "ex_cartpole-v1_hid32_ac-actrelu",
        "ex_cartpole-v1_hid64-64_ac-acttanh_use",
        "ex_cartpole-v1_hid64-64_ac-acttanh",
        "ex_cartpole-v1_hid64-64_ac-actrelu_use",
        "ex_cartpole-v1_hid64-64_ac-actrelu",
    ]
    assert [eg.variant_name(v) for v in variants[8:]] == names
    assert variants[0] == dict(env_name="CartPole-v1", seed=0, epochs=5, use_gae=True,
                               ac_kwargs=dict(hidden_sizes=(32,), activation="tanh"))
    assert variants[8]["seed"] == 10


def test_grid_without_name_and_deep_nesting():
    eg = ExperimentGrid()
    eg.add("a:b:c", [1, 2])
    eg.add("a:d", 3)
    assert eg.variants() == [dict(a=dict(b=dict(c=1), d=3)), dict(a=dict(b=dict(c=2), d=3))]
    assert eg.variant_name(eg.variants()[1]) == "a-b-c2"


def test_grid_rejects_bad_keys():
    eg = ExperimentGrid("g")
    eg.add("lr", [1, 2])
    with pytest.raises(InputError, match="'lr' was already added"):
        eg.add("lr", 3)
    with pytest.raises(InputError, match="expected a string"):
        ExperimentGrid(name=3)
    eg.add("lr:x", 1)
    with pytest.raises(InputError, match="both as a value and as nested"):
        eg.variants()


def test_call_experiment_runs_in_a_subprocess(tmp_path):
    out = call_experiment("toy", toy.toy_experiment, seed=4, data_dir=str(tmp_path), x=7)
    assert out == osp.join(str(tmp_path), "toy", "toy_s4")
    rows = open(osp.join(out, "progress.txt")).read().splitlines()
    assert rows[0].split("\t")[:3] == ["Epoch", "X", "Seed"]
    assert [r.split("\t")[:3] for r in rows[1:]] == [["0", "7", "4"], ["1", "7", "4"]]
    import json
    cfg = json.load(open(osp.join(out, "config.json")))
    assert cfg["pid"] != os.getpid()


def test_grid_runs_variants_in_parallel_and_reports_failures(tmp_path, capsys):
    eg = ExperimentGrid("par")
    eg.add("fail", [False, True], "fail")  # first key varies slowest: good ones start first
    eg.add("x", [1, 2, 3])
    eg.add("sleep", 1.5)
    with pytest.raises(RuntimeError) as err:
        eg.run(toy.toy_experiment, data_dir=str(tmp_path), num_workers=3)
    msg = str(err.value)
    assert "3 of 6 variant(s) failed" in msg
    for x in (1, 2, 3):
        assert f"toy failure for x={x}" in msg
    # the good variants still ran to the end
    ends = []
    for x in (1, 2, 3):
        run = tmp_path / f"par_x{x}" / f"par_x{x}_s0"
        rows = (run / "progress.txt").read_text().splitlines()
        assert len(rows) == 3
        start, end = map(float, rows[1].split("\t")[3:5])
        ends.append((start, end))
        failed = tmp_path / f"par_fail_x{x}" / f"par_fail_x{x}_s0"
        assert "ValueError: toy failure" in (failed / "error.txt").read_text()
    # with 3 workers the three good variants overlapped in time
    assert max(s for s, _ in ends) < min(e for _, e in ends)


def test_grid_rejects_bad_worker_count():
    eg = ExperimentGrid("g")
    eg.add("x", 1)
    with pytest.raises(InputError, match="num_workers=0"):
        eg.run(toy.toy_experiment, num_workers=0)

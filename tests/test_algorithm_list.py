"""One list of algorithms (spinup.algos.registry) drives everything that enumerates them: an
algorithm added from outside the package, by its spec, its two learners and one ``register``
line (here a toy: DDPG's losses under another name), is known to the CLI, ``resume``,
``test_policy`` (both backends) and ``bench`` in processes of their own, with no other list to
edit; the package's own lists (default backends, ``spinup``'s names, bench's tables) are the
registry's."""
import json
import os
import subprocess
import sys

import pytest

import spinup
from spinup.algos import registry
from spinup.commands import bench, bench_runs
from spinup.utils import run_files

PLUGIN = '''\
from spinup.algos import registry

registry.register(registry.Algo(
    "toy", "toy_impl:SPEC",
    {"pytorch": registry.Backend("toy_impl_pytorch:ToyLearner", "toy_impl_pytorch:toy_pytorch"),
     "jax": registry.Backend("toy_impl_jax:ToyLearner", "toy_impl_jax:toy_jax")},
    default_backend="jax"))
'''
SPEC = '''\
import dataclasses
from spinup.algos.common.ddpg import SPEC as DDPG

SPEC = dataclasses.replace(DDPG, name="toy", title="A toy: DDPG under another name")
'''
LEARNER = '''\
from spinup.algos.{backend}.ddpg.ddpg import DDPGLearner
from spinup.algos.common.spec import make_entry_point
from toy_impl import SPEC


class ToyLearner(DDPGLearner):
    pass


toy_{backend} = make_entry_point(SPEC, "{backend}", ToyLearner, __name__)
'''
SMALL = ["--env", "Pendulum-v1", "--epochs", "2", "--steps_per_epoch", "300", "--start_steps",
         "100", "--update_after", "100", "--update_every", "50", "--batch_size", "32",
         "--num_test_episodes", "1", "--max_ep_len", "150", "--hid", "(16,16)"]


@pytest.fixture(scope="module")
def plugin(tmp_path_factory):
    """The toy's modules on disk, and the environment that names them."""
    path = tmp_path_factory.mktemp("plugin")
    (path / "toy_algos.py").write_text(PLUGIN)
    (path / "toy_impl.py").write_text(SPEC)
    for backend in registry.BACKENDS:
        (path / f"toy_impl_{backend}.py").write_text(LEARNER.format(backend=backend))
    return dict(os.environ, PYTHONPATH=os.pathsep.join([str(path), os.environ.get(
        "PYTHONPATH", "")]), SPINUP_ALGORITHMS="toy_algos", SPINUP_NO_PROGRESS="1",
        OMP_NUM_THREADS="1")


def spinup_run(env, *args, timeout=600):
    proc = subprocess.run([sys.executable, "-m", "spinup.run", *args], env=env, text=True,
                          capture_output=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def test_a_registered_algorithm_trains_resumes_runs_and_is_timed(plugin, tmp_path):
    # the plain name takes the toy's own default backend
    spinup_run(plugin, "toy", *SMALL, "--exp_name", "toy", "--data_dir", str(tmp_path))
    run = tmp_path / "toy" / "toy_s0"
    assert run_files.read_config(str(run))["algo"] == "toy_jax"
    header, rows = run_files.read_progress(str(run))
    assert len(rows) == 2 and "AverageQVals" in header and "LossPi" in header

    spinup_run(plugin, "resume", str(run), "--epochs", "3")
    header, rows = run_files.read_progress(str(run))
    assert [r[header.index("Epoch")] for r in rows] == ["1", "2", "3"]

    for backend in registry.BACKENDS:  # the canonical weights run in either backend
        out = spinup_run(plugin, "test_policy", str(run), "-n", "1", "-l", "20", "--norender",
                         "--backend", backend)
        assert "EpLen 20" in out, out

    out = spinup_run(plugin, "bench", "toy", "--quick", "--json", str(tmp_path / "b.json"))
    with open(tmp_path / "b.json") as f:
        res = json.load(f)
    timed = res["toy"]["runs"][res["toy"]["headline"]]
    assert timed["pytorch_us_per_update"] > 0 and timed["jax_us_per_update"] > 0
    assert "toy" in out


def test_unknown_plugin_module_is_one_line(plugin):
    env = dict(plugin, SPINUP_ALGORITHMS="no_such_module_here")
    proc = subprocess.run([sys.executable, "-m", "spinup.run", "td3", "--help"], env=env,
                          text=True, capture_output=True, timeout=120)
    assert proc.returncode != 0
    assert "SPINUP_ALGORITHMS names 'no_such_module_here'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_package_lists_are_the_registrys():
    from spinup.user_config import DEFAULT_BACKEND
    assert set(DEFAULT_BACKEND) == set(registry.ALGOS)
    assert {name for name in spinup.__all__ if name in registry.ENTRY_POINTS} == \
        set(registry.ENTRY_POINTS)
    assert bench.all_algos() == bench_runs.all_algos() == list(registry.ALGOS)
    timed = {name.split(" ")[0].rsplit("_", 1)[0] for name, *_ in bench_runs.cases(True)}
    assert timed == set(registry.ALGOS)
    for name in registry.ALGOS:  # every algorithm has a headline configuration
        assert bench.headline(name) and bench.reps(name, quick=True)

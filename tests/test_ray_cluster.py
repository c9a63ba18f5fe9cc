"""docs/grid.md's cluster recipe on a real two-node Ray cluster on this machine (a head and a
second `ray start` node, one CPU each, token authentication on): a grid joins it with
--address, its variants run on both nodes (each run's stdout.log names its node), every run
folder comes back to --data_dir, launchers without the right token are told what to set, and
the test stops exactly the processes it started. Plus the join error on its own, without Ray."""
import glob
import json
import os
import os.path as osp
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest

from spinup.commands import engines

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
RAY = [sys.executable, "-m", "ray.scripts.scripts"]  # the `ray` command of this Python
NODE_LINE = re.compile(r"^--- spinup: Ray node ([0-9a-f]+), ", re.M)

requires_ray = pytest.mark.skipif(
    not engines.ray_available(),
    reason=f"Ray is an optional extra, not installed here ({engines.RAY_INSTALL})")


def free_ports(n):
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Cluster:
    """The processes of one test cluster, told apart from any other Ray on the machine by
    three signs, since no one sign holds for all: the sessions its `ray start` commands
    began (Ray's daemons stay in them), its own RAY_TMPDIR in the environment (Ray's workers
    and the variants, which start sessions of their own), and files open in its folder (a Ray
    agent that renames itself can blank its environment)."""

    def __init__(self, root):
        self.root, self.sessions = root, set()
        self.marker = f"RAY_TMPDIR={root}".encode()

    def ray_start(self, args, env):
        """Start `ray start ARGS` in a session of its own; ``ended`` tells how it went."""
        proc = subprocess.Popen(RAY + ["start", *args, "--disable-usage-stats"], env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        self.sessions.add(proc.pid)
        return proc

    @staticmethod
    def ended(proc):
        """``(exit code, last line of output)`` of a `ray start`, once it has ended."""
        out, _ = proc.communicate(timeout=180)
        lines = [ln for ln in out.splitlines() if ln.strip()]
        return proc.returncode, lines[-1] if lines else f"exit code {proc.returncode}"

    def processes(self):
        """Live processes of the cluster (``{pid: command name}``)."""
        found = {}
        for pid in map(int, filter(str.isdigit, os.listdir("/proc"))):
            if pid != os.getpid() and self._holds(pid):
                found[pid] = _read(f"/proc/{pid}/comm").strip()
        return found

    def _holds(self, pid):
        if not alive(pid):
            return False
        if _stat(pid)[3] in self.sessions:
            return True
        if self.marker in _read(f"/proc/{pid}/environ", "rb").split(b"\0"):
            return True
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
        except OSError:
            return False
        return any(_link(f"/proc/{pid}/fd/{fd}").startswith(self.root + os.sep) for fd in fds)

    def stop(self, grace=3.0):
        """SIGTERM to every process of the cluster, SIGKILL to those left after ``grace``
        seconds; returns any still alive."""
        for sig in (signal.SIGTERM, signal.SIGKILL):
            for pid in self.processes():
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            deadline = time.time() + grace
            while self.processes() and time.time() < deadline:
                time.sleep(0.3)
        return self.processes()


def _stat(pid):
    """``(state, ppid, process group, session)`` of ``pid``; ``('', 0, 0, 0)`` if gone."""
    fields = _read(f"/proc/{pid}/stat").rsplit(")", 1)[-1].split()
    return (fields[0], *map(int, fields[1:4])) if len(fields) > 3 else ("", 0, 0, 0)


def alive(pid):
    """Whether ``pid`` runs (a zombie has ended; only its exit status waits to be read)."""
    return _stat(pid)[0] not in ("", "Z")


def _read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except OSError:
        return "" if mode == "r" else b""


def _link(path):
    try:
        return os.readlink(path)
    except OSError:
        return ""


@pytest.fixture
def two_node_cluster():
    """Yields ``(address, env, Cluster)``: a head and a second node started with `ray start`
    as docs/grid.md says, each with 1 CPU and its own ports, token authentication on (``env``
    holds the mode and the token). Afterwards every process of the cluster is stopped, and
    only those: `ray stop` would stop every Ray on the machine (another test's ray.init too).
    """
    # Ray's socket paths must stay short (107 characters), hence /tmp rather than tmp_path;
    # Ray keeps its sessions and its address file under RAY_TMPDIR, out of everyone's way.
    cluster = Cluster(tempfile.mkdtemp(prefix="spinup-ray-", dir="/tmp"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAY_")}
    env.update(RAY_TMPDIR=cluster.root, RAY_AUTH_MODE="token",
               RAY_AUTH_TOKEN=secrets.token_hex(32), SPINUP_NO_PROGRESS="1",
               PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""),
               OMP_NUM_THREADS="1")
    port, client_port, head_agent, node_agent = free_ports(4)
    address = f"127.0.0.1:{port}"
    # no log monitor: the variants' output goes to their stdout.log, not to the launcher
    loopback = ["--node-ip-address", "127.0.0.1", "--num-cpus", "1", "--num-gpus", "0",
                "--include-log-monitor", "false"]
    started = {}
    try:
        head = cluster.ray_start(["--head", "--port", str(port), *loopback,
                                  "--ray-client-server-port", str(client_port),
                                  "--dashboard-agent-listen-port", str(head_agent),
                                  "--include-dashboard", "false"], env)
        # Started beside the head, to save some of the 10-20 s a `ray start` takes on 2 busy
        # cores: it tries the head's address once a second, 20 times by default, 120 here.
        node = cluster.ray_start(["--address", address, *loopback,
                                  "--dashboard-agent-listen-port", str(node_agent)],
                                 dict(env, RAY_NUM_REDIS_GET_RETRIES="120"))
        rc, last = cluster.ended(head)
        if rc != 0:
            pytest.skip(f"Ray could not start a head node here (`ray start --head` exit code "
                        f"{rc}: {last})")
        rc, last = cluster.ended(node)
        assert rc == 0, f"the second node could not join: {last}"
        started = cluster.processes()
        names = sorted(started.values())
        # what the end checks is gone must have been found here first
        assert names.count("raylet") == 2 and "gcs_server" in names, names
        yield address, env, cluster
    finally:
        left = cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
    assert not left, f"processes of the test's Ray cluster left running: {left}"
    assert not [p for p in started if alive(p)], "a process of the cluster outlived it"


def launch(args, env):
    return subprocess.Popen([sys.executable, "-m", "spinup.run", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@requires_ray
def test_grid_runs_on_both_nodes_of_a_two_node_cluster(two_node_cluster, tmp_path):
    address, env, cluster = two_node_cluster
    grid = ["vpg_jax", "--env", "CartPole-v1", "--epochs", "1", "--steps_per_epoch", "200",
            "--seed", "0", "1", "--exp_name", "two", "--engine", "ray", "--address", address]
    # Launchers the cluster refuses, beside the one it takes: token authentication off (what
    # the issue met: Ray's own message says only "Failed to connect") and a wrong token. Ray
    # tries to connect for 20 s before it gives up; 2 tries say the same.
    no_mode = {k: v for k, v in env.items() if k != "RAY_AUTH_MODE"}
    wrong = dict(env, RAY_AUTH_TOKEN=secrets.token_hex(32))
    refused = {name: launch(grid + ["--data_dir", str(tmp_path / name)],
                            dict(e, RAY_NUM_REDIS_GET_RETRIES="2"))
               for name, e in (("no_mode", no_mode), ("wrong", wrong))}
    good = launch(grid + ["--data_dir", str(tmp_path / "runs")], env)
    out, err = good.communicate(timeout=300)
    assert good.returncode == 0, out[-3000:] + err[-3000:]
    assert "Engine: ray" in out and out.count("finished [") == 2, out

    nodes = []
    for seed in (0, 1):
        run = tmp_path / "runs" / "two" / f"two_s{seed}"
        assert {"config.json", "progress.txt", "stdout.log"} <= set(os.listdir(run))
        assert engines.variant_status(str(run)) == "done"
        cfg = json.loads((run / "config.json").read_text())
        assert cfg["logger_kwargs"]["output_dir"] == str(run)
        found = NODE_LINE.findall((run / "stdout.log").read_text())
        assert len(found) == 1, found  # one attempt, on one node
        nodes += found
    assert len(set(nodes)) == 2, f"both variants ran on node {nodes[0]}"
    logs = glob.glob(osp.join(cluster.root, "ray", "session_*", "logs", "raylet*.out"))
    raylet_logs = "".join(_read(f) for f in logs)  # each node's raylet logs its node id
    assert all(n in raylet_logs for n in nodes), "a variant ran on a node not of this cluster"

    for name, fix in (("no_mode", "set RAY_AUTH_MODE=token here"),
                      ("wrong", "the token this launcher sent is not the cluster's")):
        out, err = refused[name].communicate(timeout=120)
        assert refused[name].returncode == 2, out[-2000:] + err[-2000:]
        errors = [ln for ln in err.splitlines() if ln.startswith("error: ")]
        assert len(errors) == 1, err[-3000:]
        assert f"Ray at {address!r} refused this launcher (token authentication)" in errors[0]
        assert fix in errors[0] and "RAY_AUTH_TOKEN" in errors[0], errors[0]


class AuthenticationError(Exception):
    """Stands in for ray.exceptions.AuthenticationError (matched by name and text)."""


def failed_join(reason):
    """A ConnectionError caused by ``reason``, as ray.init raises when it gives up."""
    try:
        try:
            raise reason
        except Exception as e:
            raise ConnectionError("Failed to connect to Ray cluster at 10.0.0.1:6379") from e
    except ConnectionError as e:
        return e


def test_join_error_names_what_to_set_when_the_token_is_refused(monkeypatch):
    addr = "10.0.0.1:6379"
    # what Ray raises: the reason only as text in the cause, or as an AuthenticationError
    text_only = failed_join(RuntimeError(
        "Failed to connect to GCS. Last connection error: Traceback ...\n"
        "ray.exceptions.AuthenticationError: RPC error: InvalidAuthToken: Authentication "
        "token is missing or incorrect."))
    no_token = AuthenticationError("Token authentication is enabled but no authentication "
                                   "token was found")
    monkeypatch.delenv("RAY_AUTH_MODE", raising=False)
    for e in (text_only, no_token):
        msg = engines.ray_join_error(addr, e)
        assert msg.startswith(f"--engine ray: Ray at {addr!r} refused this launcher (token "
                              "authentication): set RAY_AUTH_MODE=token here"), msg
        assert "~/.ray/auth_token" in msg and "RAY_AUTH_TOKEN" in msg and "\n" not in msg
    monkeypatch.setenv("RAY_AUTH_MODE", "token")
    assert "is not the cluster's" in engines.ray_join_error(addr, text_only)
    assert "no token was found" in engines.ray_join_error(addr, no_token)
    # any other failure keeps Ray's own first line
    other = failed_join(RuntimeError("Failed to connect to GCS within 20 s"))
    assert engines.ray_join_error(addr, other) == (
        f"--engine ray: could not start or join Ray at {addr!r}: Failed to connect to Ray "
        "cluster at 10.0.0.1:6379")
    assert engines.ray_join_error(None, ValueError("")) == \
        "--engine ray: could not start or join Ray: ValueError"

"""Engines that run the variants of a grid, each variant in a fresh Python subprocess.

- ``local``: subprocesses on this machine, ``num_workers`` at a time. Nothing extra to install.
- ``ray``: Ray tasks on a cluster (``address``), or on a Ray instance started here. A task runs
  its variant in a subprocess inside a temporary folder on whichever node Ray picks, and sends
  the finished folder back as bytes; the launcher unpacks it under its own ``data_dir``, so no
  shared filesystem is assumed.

Both write the same run folder: what the algorithm writes, plus ``stdout.log`` (the variant's
output) and, when it failed, ``error.txt`` (its one line, or its traceback). The launcher
holds every variant's folder for the grid's life (``hold_folders``), and a local variant
writes under that hold.

A variant's life, the same for every engine (``run_variants``): ``variant_status`` says whether
its folder is ``done``, ``unfinished`` or ``new``; done ones are skipped; the others start
through ``variant_argv``; a failure is retried once, unless it would fail the same way again
(the variant exits with ``run_entrypoint.NO_RETRY``); Ctrl-C stops the running ones and raises
``GridInterrupted`` naming every unfinished variant.
"""
import base64
import codecs
import collections
import contextlib
import dataclasses
import importlib.util
import inspect
import io
import json
import os
import os.path as osp
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import threading
import time

import cloudpickle

from spinup.algos.common.checks import InputError, number_in, one_of, positive_int
# Tells a variant which process launched it, so that it ends with it (see run_entrypoint).
from spinup.commands.run_entrypoint import NO_RETRY, PARENT_PID_VAR, STATUS_FD_VAR
from spinup.utils import run_files
from spinup.utils.serialization_utils import read_json

ENGINES = ("local", "ray")
MAX_ATTEMPTS = 2  # a failed variant is retried once
RAY_INSTALL = 'pip install -e ".[ray]" -c constraints.txt'
PROBE_TIMEOUT_S = 3.0
STOP_GRACE_S = 5.0


class GridInterrupted(KeyboardInterrupt):
    """Ctrl-C during a grid; ``unfinished`` lists the variants that did not finish."""

    def __init__(self, unfinished):
        super().__init__(f"{len(unfinished)} variant(s) unfinished")
        self.unfinished = unfinished


@dataclasses.dataclass
class Variant:
    """One run of a grid: where it writes, how to start it, and how far it got."""
    name: str
    seed: object
    out_dir: str
    payload: str  # base64 cloudpickle of (thunk, kwargs), read by run_entrypoint
    epochs: int = None
    status: str = "new"
    attempts: int = 0
    started: float = 0.0

    @property
    def label(self):
        """The variant's name and seed, as the launcher reports it."""
        return f"{self.name} (seed {self.seed})"


class Failure(str):
    """How a variant failed, as the launcher reports it; ``retry``: whether another attempt
    could end otherwise."""

    def __new__(cls, text, retry=True):
        failure = super().__new__(cls, text)
        failure.retry = retry
        return failure


def hold_folders(variants):
    """Hold the run folders of ``variants`` (``run_files.lock_run_dir``) before anything
    starts: one that another grid, run or ``resume`` holds is a RunFolderBusy naming it and
    its holder. Each variant's status is read again under the hold. Returns the folders
    held, for ``release_folders``."""
    held = []
    try:
        for v in variants:
            run_files.lock_run_dir(v.out_dir)
            held.append(v.out_dir)
            v.status = variant_status(v.out_dir, v.epochs)
    except BaseException:
        release_folders(held)
        raise
    return held


def release_folders(held):
    """Let go of the folders ``hold_folders`` held."""
    for out_dir in held:
        run_files.release_run_dir(out_dir)


def make_variant(name, thunk, kwargs, out_dir):
    """A ``Variant`` for ``thunk(**kwargs)`` writing to ``out_dir``, with its status read from
    the folder (a rerun of the same grid finds what an earlier run left there)."""
    epochs = kwargs.get("epochs", _default_arg(thunk, "epochs"))
    payload = base64.b64encode(cloudpickle.dumps((thunk, kwargs))).decode("ascii")
    v = Variant(name, kwargs.get("seed", 0), out_dir, payload, epochs)
    v.status = variant_status(out_dir, epochs)
    return v


def _default_arg(fn, name):
    try:
        p = inspect.signature(fn).parameters.get(name)
    except (TypeError, ValueError):
        return None
    return None if p is None or p.default is inspect.Parameter.empty else p.default


def variant_status(out_dir, epochs=None):
    """``'done'``, ``'unfinished'`` or ``'new'`` for the run folder ``out_dir``.

    ``done``: progress.txt has a row for each of the ``epochs`` epochs (``epochs`` defaults to
    the one in config.json) and there is no error.txt. ``new``: no folder, or an empty one.
    ``unfinished``: anything else (killed, failed, or stopped by Ctrl-C). A rerun of a grid
    skips done variants and starts the others through ``variant_argv``."""
    if not osp.isdir(out_dir) or not set(os.listdir(out_dir)) - {run_files.LOCK}:
        return "new"
    if epochs is None:
        try:  # any thunk's config, not only an algorithm's: no 'algo' required
            epochs = read_json(osp.join(out_dir, run_files.CONFIG), "run config").get("epochs")
        except InputError:  # damaged or missing: the variant runs again
            epochs = None
    logged = _epochs_logged(osp.join(out_dir, "progress.txt"))
    if (isinstance(epochs, int) and logged >= epochs
            and not osp.exists(osp.join(out_dir, "error.txt"))):
        return "done"
    return "unfinished"


def _epochs_logged(path):
    # Rows are counted rather than the last Epoch read, since VPG counts epochs from 0 and TD3
    # from 1; distinct values, so that an epoch logged twice counts once.
    try:
        with open(path) as f:
            lines = [ln.rstrip("\n").split("\t") for ln in f if ln.strip()]
    except OSError:
        return 0
    if not lines or "Epoch" not in lines[0]:
        return 0
    col, width = lines[0].index("Epoch"), len(lines[0])
    # a run killed mid-write may leave a short last row
    return len({row[col] for row in lines[1:] if len(row) == width})


def variant_argv(variant, output_dir=None):
    """The command that runs ``variant``; ``output_dir`` replaces the run folder (a Ray node
    writes into a temporary folder).

    This is where a variant's start is decided. An ``unfinished`` variant whose folder holds
    a checkpoint continues from it: run_entrypoint resumes instead of starting afresh (it
    sees the folder, on this machine or as shipped to a Ray node)."""
    argv = [sys.executable, "-u", "-m", "spinup.commands.run_entrypoint", variant.payload]
    return argv + ([output_dir] if output_dir else [])


def error_summary(output_dir):
    """Last line of the traceback a variant left in error.txt, if any."""
    path = osp.join(output_dir, "error.txt")
    if not osp.exists(path):
        return "no error.txt (killed by a signal or failed before starting?)"
    with open(path) as f:
        lines = [ln for ln in f.read().strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "empty error.txt"


def worker_env(num_workers, threads=None):
    """Environment of a variant: OpenMP and MKL threads both ``threads`` when given, else the
    user's OMP_NUM_THREADS, else the cores split between the workers. The two must agree:
    PyTorch's spin-waiting threads stall badly on oversubscribed cores (an MKL_NUM_THREADS=2
    beside OMP_NUM_THREADS=1 made TD3's updates 20x slower on a busy 2-core machine)."""
    env = os.environ.copy()
    if threads is not None:
        env["OMP_NUM_THREADS"] = env["MKL_NUM_THREADS"] = str(int(threads))
        return env
    threads = env.get("OMP_NUM_THREADS") or str(max(1, (os.cpu_count() or 1) // num_workers))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env.setdefault(var, threads)
    return env


def spawn(argv, env, log, cwd=None, pass_fds=()):
    """Start a variant in its own session (process group) writing to the binary file ``log``,
    so that stopping it reaches every process it started and the terminal's Ctrl-C reaches
    only the launcher, which then stops variants in order. ``pass_fds``: descriptors it
    inherits (its folder's lock, the status pipe)."""
    env = dict(env, **{PARENT_PID_VAR: str(os.getpid())})
    return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                            start_new_session=True, pass_fds=tuple(pass_fds))


def stop_process(proc, grace=STOP_GRACE_S):
    """SIGTERM to the variant's process group, SIGKILL after ``grace`` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, grace)):
        if proc.poll() is not None:
            break
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        try:
            proc.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    return proc.returncode


def _log_header(variant):
    return (f"--- spinup: {variant.label}, attempt {variant.attempts} of {MAX_ATTEMPTS}, "
            f"{time.strftime('%Y-%m-%d %H:%M:%S')} ---\n").encode()


class LocalEngine:
    """Variants as subprocesses of this process, ``num_workers`` at a time. With ``echo``
    (one worker) their output is also shown here as it comes."""
    name = "local"
    start_word = "started"

    def __init__(self, num_workers=1, threads=None, echo=False):
        self.capacity = num_workers
        self.threads = threads
        self.echo = echo
        self._running = {}

    def open(self):
        """Nothing to start for local subprocesses."""

    def close(self):
        """Nothing to shut down for local subprocesses."""

    def start(self, variant):
        """Start ``variant``; returns a handle for ``wait`` and ``stop``. It writes its folder
        under this launcher's hold, if there is one, and says how it failed down a pipe,
        which works when the disk is full (so does the launcher: output that stdout.log
        cannot take is dropped)."""
        os.makedirs(variant.out_dir, exist_ok=True)
        try:  # unbuffered: nothing is left to flush, and fail, at close
            log = open(osp.join(variant.out_dir, "stdout.log"), "ab", buffering=0)
        except OSError:
            log = open(os.devnull, "ab", buffering=0)
        _write_log(log, _log_header(variant))
        env = worker_env(self.capacity, self.threads)
        if self.echo and sys.stdout.isatty():  # the tee shows the variant's progress bar
            env.setdefault("SPINUP_PROGRESS_TTY", "1")
        status, status_w = os.pipe()
        env[STATUS_FD_VAR], fds = str(status_w), [status_w]
        if run_files.held_lock_fd(variant.out_dir) is not None:
            env.update(run_files.lock_env(variant.out_dir))
            fds.append(run_files.held_lock_fd(variant.out_dir))
        try:
            if self.echo:
                proc = spawn(variant_argv(variant), env, subprocess.PIPE, pass_fds=fds)
                tee = threading.Thread(target=_tee, args=(proc.stdout, log), daemon=True)
                tee.start()
            else:
                proc, tee = spawn(variant_argv(variant), env, log, pass_fds=fds), None
        finally:
            os.close(status_w)
        self._running[variant.out_dir] = (proc, log, tee, status)
        return variant.out_dir

    def wait(self, handles, timeout):
        """``[(handle, error or None)]`` for the variants among ``handles`` that ended,
        waiting up to ``timeout`` seconds for one to end."""
        deadline = time.time() + timeout
        while True:
            ended = [h for h in handles if self._running[h][0].poll() is not None]
            if ended or time.time() >= deadline:
                return [(h, self._finish(h)) for h in ended]
            time.sleep(0.05)

    def _finish(self, handle):
        proc, log, tee, status = self._running.pop(handle)
        if tee is not None:
            tee.join(timeout=10)
        log.close()
        said = _read_status(status)
        if proc.returncode == 0:
            return None
        lines = [ln for ln in said.strip().splitlines() if ln.strip()]
        return Failure(f"exit code {proc.returncode}: "
                       f"{lines[-1] if lines else error_summary(handle)} "
                       f"(full output: {osp.join(handle, 'stdout.log')})",
                       retry=proc.returncode != NO_RETRY)

    def stop(self):
        """Stop every running variant (all signalled at once, then each waited for)."""
        handles = list(self._running)
        for h in handles:
            try:
                os.killpg(self._running[h][0].pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for h in handles:
            stop_process(self._running[h][0])
            self._finish(h)


def _write_log(log, data):
    try:
        log.write(data)
    except OSError:
        pass  # a full disk: the launcher goes on; the run names what it could not write


def _read_status(fd):
    """What a variant sent down its status pipe (a descendant that kept the pipe open must
    not block the launcher: read what is there)."""
    os.set_blocking(fd, False)
    chunks = []
    try:
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            chunks.append(chunk)
    except BlockingIOError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8", "replace")


def _tee(pipe, log):
    # Chunks as they come, not lines: a progress bar redraws its line with '\r'.
    decode = codecs.getincrementaldecoder("utf-8")(errors="replace").decode
    for chunk in iter(lambda: os.read(pipe.fileno(), 65536), b""):
        _write_log(log, chunk)
        sys.stdout.write(decode(chunk))
        sys.stdout.flush()
    pipe.close()


def ray_available():
    """Whether the optional Ray extra is installed."""
    return importlib.util.find_spec("ray") is not None


def check_address(address, timeout=PROBE_TIMEOUT_S):
    """Fail within ``timeout`` seconds, before anything starts, when nothing listens at a Ray
    address (``HOST:PORT``, ``ray://HOST:PORT``; ``auto`` is left to Ray)."""
    if address == "auto":
        return
    if not isinstance(address, str):
        raise InputError(f"--address {address!r}: expected HOST:PORT, ray://HOST:PORT or auto")
    if address.startswith("ray://") and importlib.util.find_spec("grpc") is None:
        raise InputError(f"--address {address!r}: a ray:// address goes through Ray Client, "
                         "which needs pip install \"ray[client]\"; or give the head node's "
                         "HOST:PORT (port 6379 by default)")
    hostport = address.split("://", 1)[1] if "://" in address else address
    host, sep, port = hostport.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise InputError(f"--address {address!r}: expected HOST:PORT (the head node's address, "
                         "port 6379 unless `ray start --head --port` chose another), "
                         "ray://HOST:PORT or auto")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as e:
        reason = "no answer within %gs" % timeout if isinstance(e, socket.timeout) else \
            (e.strerror or str(e))
        raise InputError(f"--address {address!r}: no Ray cluster answers there ({reason}); "
                         "start one with `ray start --head` on the head node, or leave out "
                         "--address to start a Ray instance on this machine") from None


def pack_folder(path):
    """A folder's files as the bytes of a .tar.gz (paths relative to the folder)."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name in sorted(os.listdir(path)):
            if name != run_files.LOCK:  # the hold is this machine's, not the run's
                tar.add(osp.join(path, name), arcname=name)
    return buf.getvalue()


def unpack_folder(data, path):
    """Write the files of ``pack_folder``'s bytes into ``path`` (existing files are replaced;
    the archive cannot write outside ``path``)."""
    os.makedirs(path, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        if hasattr(tarfile, "data_filter"):
            tar.extractall(path, filter="data")
        else:  # Python without extraction filters: refuse members that leave the folder
            root = osp.realpath(path)
            for m in tar.getmembers():
                if not osp.realpath(osp.join(path, m.name)).startswith(root + os.sep):
                    raise ValueError(f"archive member {m.name!r} leaves {path}")
            tar.extractall(path)


LOOPBACK = ("127.0.0.1", "localhost")


@contextlib.contextmanager
def on_loopback():
    """A Ray instance started inside the block serves this machine alone: its servers
    listen on 127.0.0.1, not on the machine's network address (and a driver joining a Ray on
    127.0.0.1 inside the block finds it there). (Ray takes the network
    address unless it is told that this is no cluster, its own switch for a single machine:
    RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0, read at import, so its constant is set too.)"""
    from ray._private import ray_constants
    old_env = os.environ.get(ray_constants.ENABLE_RAY_CLUSTERS_ENV_VAR)
    old = ray_constants.ENABLE_RAY_CLUSTER
    os.environ[ray_constants.ENABLE_RAY_CLUSTERS_ENV_VAR] = "0"
    ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        yield
    finally:
        ray_constants.ENABLE_RAY_CLUSTER = old
        if old_env is None:
            os.environ.pop(ray_constants.ENABLE_RAY_CLUSTERS_ENV_VAR, None)
        else:
            os.environ[ray_constants.ENABLE_RAY_CLUSTERS_ENV_VAR] = old_env


def _ray_node_line():
    """The node this Ray task runs on, as a stdout.log line: a run folder that came back from
    a cluster says where each of its attempts ran (node id, IP address and host name)."""
    import ray
    return (f"--- spinup: Ray node {ray.get_runtime_context().get_node_id()}, "
            f"{ray.util.get_node_ip_address()} ({socket.gethostname()}) ---\n").encode()


def ray_variant_task(argv, name, folder, header, threads, gpus):
    """Runs on a Ray worker: one variant in a subprocess, in a temporary folder seeded with
    ``folder`` (the bytes of the launcher's run folder, or None); stdout.log names the node.
    Returns ``(exit code, the folder's bytes, the temporary path)``. A cancelled task stops
    its subprocess first."""
    tmp = tempfile.mkdtemp(prefix="spinup-")
    out_dir = osp.join(tmp, name)
    try:
        if folder:
            unpack_folder(folder, out_dir)
        else:
            os.makedirs(out_dir)
        env = worker_env(1, threads)
        if not gpus:  # Ray leaves GPUs visible to tasks that reserved none; hide them
            env["CUDA_VISIBLE_DEVICES"] = ""
        with open(osp.join(out_dir, "stdout.log"), "ab") as log:
            log.write(header + _ray_node_line())
            log.flush()
            # this node's Python, which need not live where the launcher's does
            argv = [sys.executable] + argv[1:] + [out_dir]
            proc = spawn(argv, env, log, cwd=tmp)  # stray files stay in tmp
            try:
                while True:  # a timed wait, so that Ray's cancel (KeyboardInterrupt) lands
                    try:
                        rc = proc.wait(timeout=0.5)
                        break
                    except subprocess.TimeoutExpired:
                        pass
            except KeyboardInterrupt:
                # Cancelled (Ctrl-C at the launcher): what the variant wrote still goes back,
                # so that a rerun of the grid can continue it.
                rc = stop_process(proc)
            except BaseException:
                stop_process(proc)
                raise
        return rc, pack_folder(out_dir), out_dir
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# How Ray says a cluster refused a token: an AuthenticationError, or, when ray.init gives up
# with "Failed to connect", only its text inside the ConnectionError's cause.
AUTH_REFUSED = ("InvalidAuthToken", "AuthenticationError", "Unauthenticated")


def ray_join_error(address, e):
    """The one line for a ``ray.init`` that failed with ``e``: for a token refused (or
    missing), what to set on the launcher; for anything else, the first line of Ray's
    message."""
    where = f" at {address!r}" if address else ""
    chain, cause = [], e
    while cause is not None and len(chain) < 10:  # Ray wraps the reason in other errors
        chain.append(f"{type(cause).__name__}: {cause}")
        cause = cause.__cause__ or cause.__context__
    if not any(mark in text for text in chain for mark in AUTH_REFUSED):
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        return f"--engine ray: could not start or join Ray{where}: {first}"
    token = ("the head node's token in ~/.ray/auth_token or in RAY_AUTH_TOKEN (see "
             "'Pointing it at a cluster' in docs/grid.md)")
    if os.environ.get("RAY_AUTH_MODE", "").lower() != "token":
        fix = f"set RAY_AUTH_MODE=token here, with {token}"
    elif any("no authentication token was found" in text for text in chain):
        fix = f"RAY_AUTH_MODE=token is set but no token was found; give this launcher {token}"
    else:
        fix = f"the token this launcher sent is not the cluster's; give it {token}"
    return f"--engine ray: Ray{where} refused this launcher (token authentication): {fix}"


class RayEngine:
    """Variants as Ray tasks (``cpus`` and ``gpus`` reserved for each), on the cluster at
    ``address`` or on a Ray instance started here; at most ``num_workers`` at once when given.
    A Ray connection that already exists in this process is used as it is."""
    name = "ray"
    start_word = "queued "  # Ray starts it when a node has the resources

    def __init__(self, address=None, cpus=1, gpus=0, num_workers=None):
        self.address, self.cpus, self.gpus = address, cpus, gpus
        self.capacity = num_workers or float("inf")
        self._running, self._owned, self._ray = {}, False, None

    def open(self):
        """Join the cluster (or start a local instance); errors become ``InputError``."""
        import ray
        self._ray = ray
        if not ray.is_initialized():
            kwargs = dict(include_dashboard=False, log_to_driver=False)
            if self.address:
                # The nodes need spinup's dependencies; spinup itself travels with the grid.
                # Its config.json records this launcher's code (the nodes' copy has no git).
                from spinup.utils.run_files import code_version
                kwargs["runtime_env"] = {
                    "py_modules": [osp.dirname(osp.dirname(__file__))],
                    "env_vars": {"SPINUP_CODE": json.dumps(code_version())}}
            try:
                local = not self.address or self.address.rsplit(":", 1)[0] in LOOPBACK
                with (on_loopback() if local else contextlib.nullcontext()):
                    ray.init(address=self.address, **kwargs)
            except Exception as e:
                raise InputError(ray_join_error(self.address, e)) from None
            self._owned = True
        self._task = ray.remote(ray_variant_task).options(
            num_cpus=self.cpus, num_gpus=self.gpus, max_retries=0)

    def close(self):
        """Disconnect (shutting down the instance if it was started here)."""
        if self._owned and self._ray is not None:
            self._ray.shutdown()
            self._owned = False

    def start(self, variant):
        """Submit ``variant``; an unfinished run folder travels with it (for resuming)."""
        folder = None
        if osp.isdir(variant.out_dir) and os.listdir(variant.out_dir):
            folder = pack_folder(variant.out_dir)
        ref = self._task.remote(variant_argv(variant), osp.basename(variant.out_dir), folder,
                                _log_header(variant), max(1, int(self.cpus)), self.gpus)
        self._running[ref] = variant
        return ref

    def wait(self, handles, timeout):
        """``[(handle, error or None)]`` for finished tasks; their folders are unpacked."""
        ready, _ = self._ray.wait(list(handles), num_returns=1, timeout=timeout)
        return [(ref, self._finish(ref)) for ref in ready]

    def _finish(self, ref):
        variant = self._running.pop(ref)
        try:
            rc, data, remote_dir = self._ray.get(ref)
        except Exception as e:  # the task itself failed: node lost, worker killed, cancelled
            lines = [ln for ln in str(e).strip().splitlines() if ln.strip()]
            return f"Ray task failed: {lines[-1] if lines else type(e).__name__}"
        unpack_folder(data, variant.out_dir)
        _relocate_config(variant.out_dir, remote_dir)
        if rc == 0:
            return None
        return Failure(f"exit code {rc}: {error_summary(variant.out_dir)} "
                       f"(full output: {osp.join(variant.out_dir, 'stdout.log')})",
                       retry=rc != NO_RETRY)

    def stop(self):
        """Cancel every task: each stops its subprocess and sends back its folder as it is;
        forced after a grace period."""
        refs = list(self._running)
        if not refs:
            return
        for ref in refs:
            self._ray.cancel(ref)
        done, left = self._ray.wait(refs, num_returns=len(refs), timeout=3 * STOP_GRACE_S)
        for ref in left:
            self._ray.cancel(ref, force=True)
            self._running.pop(ref, None)
        for ref in done:
            self._finish(ref)


def _relocate_config(out_dir, remote_dir):
    """config.json records the folder the variant wrote to; on a Ray node that was a temporary
    one. Point it at the launcher's folder, leaving the file otherwise byte for byte."""
    path = osp.join(out_dir, "config.json")
    if not osp.exists(path):
        return
    with open(path) as f:
        text = f.read()
    new = text.replace(json.dumps(remote_dir), json.dumps(out_dir))
    if new != text:
        with open(path, "w") as f:
            f.write(new)
        run_files.reseal_config(out_dir)  # its checksum, for the changed folder


def make_engine(engine="local", num_workers=None, address=None, cpus_per_variant=None,
                gpus_per_variant=0):
    """Check the engine settings and return an engine, not yet started (``open`` starts it).
    Every bad setting raises ``InputError`` here, before any work: an unknown engine, a worker
    count below 1, Ray not installed, or nobody answering at ``address``."""
    one_of("--engine", engine, ENGINES)
    if num_workers is not None:
        num_workers = positive_int("num_workers", num_workers)
    if cpus_per_variant is not None:
        cpus_per_variant = number_in("cpus_per_variant", cpus_per_variant, 0, lo_open=True)
    gpus_per_variant = number_in("gpus_per_variant", gpus_per_variant, 0)
    if engine == "local":
        if address is not None:
            raise InputError(f"--address {address!r} needs --engine ray; the local engine "
                             "runs on this machine only")
        if gpus_per_variant:
            raise InputError(f"gpus_per_variant={gpus_per_variant:g} needs --engine ray; "
                             "local variants see every GPU of this machine")
        n = num_workers or 1
        return LocalEngine(n, threads=cpus_per_variant, echo=(n == 1))
    if not ray_available():
        raise InputError(f"--engine ray needs Ray, which is not installed; install it with "
                         f"{RAY_INSTALL}")
    if address is not None:
        check_address(address)
    return RayEngine(address, cpus_per_variant or 1, gpus_per_variant, num_workers)


def run_variants(variants, engine, log=print):
    """Run every variant that is not done on ``engine``; a failed one is retried once.

    Returns ``{out_dir: error}`` for the variants that failed twice. Ctrl-C (or SIGTERM) stops
    the running variants and raises ``GridInterrupted`` with the unfinished ones."""
    pending = collections.deque(v for v in variants if v.status != "done")
    running, failures = {}, {}
    if not pending:  # a rerun of a finished grid: no need to start Ray
        return failures
    with _signals((signal.SIGTERM,), _raise_interrupt):  # `kill` stops a grid as Ctrl-C does
        engine.open()
        try:
            _drive(engine, pending, running, failures, log)
        except KeyboardInterrupt:
            _stop_all(engine, running, log)
            raise GridInterrupted(list(running.values()) + list(pending)) from None
        except BaseException:  # whatever went wrong here, no variant outlives the grid
            _stop_all(engine, running, log)
            raise
    engine.close()
    return failures


def _stop_all(engine, running, log):
    # A second Ctrl-C must not cut the clean-up short and leave variants behind.
    with _signals((signal.SIGINT, signal.SIGTERM), signal.SIG_IGN):
        log(f"\nStopping {len(running)} running variant(s) ...", flush=True)
        try:
            engine.stop()
        finally:
            engine.close()


def _drive(engine, pending, running, failures, log):
    """The scheduling loop: keep the engine full, collect results, requeue first failures."""
    total, finished = len(pending), 0
    while pending or running:
        while pending and len(running) < engine.capacity:
            v = pending[0]  # left queued until started: Ctrl-C must not lose it
            _clear_error(v.out_dir)
            v.attempts += 1
            v.started = time.time()
            handle = engine.start(v)
            running[handle] = pending.popleft()
            again = f" (attempt {v.attempts} of {MAX_ATTEMPTS})" if v.attempts > 1 else ""
            log(f"{engine.start_word}  {v.label}{again} -> {v.out_dir}", flush=True)
        for handle, error in engine.wait(list(running), timeout=0.5):
            v = running.pop(handle)
            took = f"{time.time() - v.started:.1f} s"
            if error is None:
                finished += 1
                v.status = "done"
                log(f"finished [{finished + len(failures)}/{total}] {v.label} in {took}",
                    flush=True)
            elif v.attempts < MAX_ATTEMPTS and getattr(error, "retry", True):
                log(f"failed   {v.label} after {took}, retrying: {error}", flush=True)
                pending.append(v)
            else:
                v.status = "unfinished"
                times = f" {v.attempts} times" if v.attempts > 1 else ""
                failures[v.out_dir] = f"{v.label} failed{times}: {error}"
                log(f"FAILED   [{finished + len(failures)}/{total}] {v.label}: {error}",
                    flush=True)


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


@contextlib.contextmanager
def _signals(signums, handler):
    """``handler`` for ``signums`` inside the block (Python lets only the main thread set
    handlers; elsewhere nothing changes)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {s: signal.signal(s, handler) for s in signums}
    try:
        yield
    finally:
        for s, h in old.items():
            signal.signal(s, h)


def _clear_error(out_dir):
    # A stale error.txt would make a run that now succeeds look failed.
    try:
        os.remove(osp.join(out_dir, "error.txt"))
    except FileNotFoundError:
        pass

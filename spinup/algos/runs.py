"""Algorithms rebuilt from run folders: a trained learner in either backend (``load``), and a
run continued from its checkpoint (``resume``). Everything read from the folder goes through
``spinup.utils.run_files``, which validates it."""
import importlib
import os
import os.path as osp

from spinup.algos import registry
from spinup.algos.common.checks import InputError
from spinup.algos.common.envs import env_fn_from_config
from spinup.utils import run_files


def backend_module(algo):
    """The module of algorithm ``algo`` ('td3_jax' -> spinup.algos.jax.td3.td3)."""
    return importlib.import_module(registry.ENTRY_POINTS[registry.resolve(algo)].split(":")[0])


def _device_kwargs(algo, device):
    return {"device": device} if algo.endswith("_pytorch") else {}


def load(run_dir, backend=None, device=None):
    """The trained learner of a run: ``load(run_dir).act(obs, deterministic=True)``.

    ``backend`` ('pytorch' or 'jax') runs the saved policy in that backend whatever backend
    trained it: the weights cross over in their canonical names. ``device`` is PyTorch's."""
    cfg = run_files.read_config(run_dir)
    saved = registry.resolve(cfg["algo"])
    if not osp.isdir(osp.join(run_dir, run_files.MODEL_DIR)):
        raise InputError(f"{run_dir!r} has no saved model: {run_files.MODEL_DIR}/ is missing")
    family, saved_backend = saved.split("_", 1)
    if backend is not None and backend not in registry.BACKENDS:
        raise InputError(f"backend={backend!r}: expected one of {', '.join(registry.BACKENDS)}")
    target = f"{family}_{backend or saved_backend}"
    learner = backend_module(saved).load(run_dir, **_device_kwargs(saved, device))
    if target == saved:
        return learner
    module = backend_module(target)
    cfg, env = getattr(module, f"read_{family}_config")(run_dir)
    other = module.learner_from_config(cfg, env, **_device_kwargs(target, device))
    env.close()
    other.set_params(learner.get_params())
    return other


def run_status(run_dir):
    """(config, checkpoint meta or None, epochs the run was asked for, epochs completed)."""
    cfg = run_files.read_config(run_dir)
    meta = None
    if osp.isfile(run_files.checkpoint_path(run_dir)):
        meta = run_files.load_checkpoint(run_dir)[1]
    epochs = cfg.get("epochs")
    done = 0 if meta is None else meta["epoch"] + 1
    return cfg, meta, epochs, done


def check_resume(run_dir, epochs=None, device=None):
    """Everything ``resume`` needs, checked before any work: a run folder with a valid
    checkpoint, epochs left to run (or an ``epochs`` extending a finished run), a usable
    device, a writable folder. Returns (config, checked arguments, env); the env is open."""
    cfg, meta, planned, done = run_status(run_dir)
    if meta is None:
        raise InputError(f"{run_dir!r} has no checkpoint to resume from (it stopped before "
                         "its first checkpoint); start it again instead")
    if epochs is not None:
        if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs <= done:
            raise InputError(f"--epochs {epochs!r}: expected an integer > {done}, the epochs "
                             f"this run has completed")
    elif done >= planned:
        raise InputError(f"{run_dir!r} is finished ({done} of {planned} epochs); to train it "
                         f"longer, give the new total: resume {run_dir} --epochs N (N > {done})")
    if not os.access(run_dir, os.W_OK):
        raise InputError(f"{run_dir!r} is not writable; resume appends to its progress.txt")
    algo = registry.resolve(cfg["algo"])
    fn = registry.entry_point(algo)
    import inspect
    accepted = set(inspect.signature(fn).parameters) - {"env_fn"}
    kwargs = {k: v for k, v in cfg.items() if k in accepted}
    kwargs["epochs"] = epochs or planned
    kwargs["logger_kwargs"] = dict(output_dir=run_dir, exp_name=cfg.get("exp_name"))
    if device is not None:
        kwargs["device"] = device
    env = env_fn_from_config(cfg)()
    try:
        args = registry.check_args(algo, kwargs, env)
    except BaseException:
        env.close()
        raise
    return cfg, args, env


def resume(run_dir, epochs=None, device=None):
    """Continue a run from its checkpoint until it has ``epochs`` epochs (default: the number
    it was started with), appending to its progress.txt. Returns the learner."""
    cfg, args, env = check_resume(run_dir, epochs, device)
    algo = registry.resolve(cfg["algo"])
    family = algo.split("_")[0]
    module = backend_module(algo)
    try:
        # The checked arguments: normalised networks and every hyperparameter.
        learner = module.learner_from_config(args, env,
                                             **_device_kwargs(algo, args.get("device")))
        checkpoint = run_files.load_checkpoint(run_dir)
    except BaseException:
        env.close()
        raise
    train = getattr(importlib.import_module(f"spinup.algos.common.{family}"), f"train_{family}")
    return train(algo, env_fn_from_config(cfg), env, learner, args, resume=checkpoint)

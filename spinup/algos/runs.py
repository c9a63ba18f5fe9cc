"""Algorithms rebuilt from run folders: a trained learner in either backend (``load``), and a
run continued from its checkpoint (``resume``). Everything read from the folder goes through
``spinup.utils.run_files``, which validates it."""
import importlib
import os
import os.path as osp

from spinup.algos import registry
from spinup.algos.common.checks import InputError, positive_int
from spinup.algos.common.envs import env_fn_from_config
from spinup.algos.common.spec import build_learner
from spinup.utils import run_files
from spinup.utils.errors import RunFileError

# config.json's entry naming a population's members (spinup/algos/common/population.py).
POPULATION_KEY = "population"


def backend_module(algo):
    """The module of algorithm ``algo``'s entry point ('td3_jax' -> spinup.algos.jax.td3.td3)."""
    return importlib.import_module(registry.ENTRY_POINTS[registry.resolve(algo)].split(":")[0])


def _backend_kwargs(algo, device, compile=None):
    """PyTorch's own learner arguments: the device, and the compile mode (None: eager)."""
    if registry.lookup(algo)[1] != "pytorch":
        return {}
    return dict(device=device, **({} if compile is None else {"compile": compile}))


def read_config(run_dir, algo=None):
    """(config, env) of a saved run: its config.json, its arguments checked as the command
    line checks them (so ``ac_kwargs`` is normalised with the algorithm's default networks),
    and one env made from the env factory it records."""
    cfg = run_files.read_config(run_dir)
    env = make_env(run_dir, cfg)
    try:
        args = checked_config(run_dir, cfg, env, algo)
    except BaseException:
        env.close()
        raise
    return dict(cfg, **args), env


def make_env(run_dir, cfg):
    """One env from the factory config.json records (checked by ``env_fn_from_config``); an
    env that gymnasium cannot make from what the file says (make arguments of the wrong type
    or value) is one line naming config.json."""
    env_fn = env_fn_from_config(cfg)
    try:
        return env_fn()
    except Exception as e:
        why = " ".join(str(e).split())[:200]
        raise _in_config(run_dir, f"gymnasium cannot make the env its env_fn records "
                                  f"({type(e).__name__}: {why})") from None


def _in_config(run_dir, what):
    """An error about a value config.json holds, as one line naming the file."""
    return RunFileError(f"{osp.join(run_dir, run_files.CONFIG)}: {what}")


def config_algo(run_dir, cfg):
    """The algorithm config.json names, as a registered name ('td3_jax')."""
    try:
        return registry.resolve(cfg["algo"])
    except InputError as e:
        raise _in_config(run_dir, e) from None


def checked_config(run_dir, cfg, env, algo=None, **overrides):
    """The arguments of the run's algorithm (``algo``, default the one config.json names)
    taken from its config, with ``overrides``, checked by ``registry.check_args`` as the
    command line checks them: a value of the wrong type or range is one line naming
    config.json. The device the run had is not checked (it may be another machine's)."""
    algo = algo or config_algo(run_dir, cfg)
    accepted = set(registry.spec(algo).config_parameters(registry.lookup(algo)[1]))
    kwargs = {k: v for k, v in cfg.items() if k in accepted - {"env_fn", "device"}}
    try:
        registry.check_args(algo, kwargs, env)
    except InputError as e:
        raise _in_config(run_dir, e) from None
    return registry.check_args(algo, dict(kwargs, **overrides), env)


def learner_from_config(algo, cfg, env, device=None, compile=None):
    """A fresh learner of ``algo`` ('td3_jax') built with a saved run's (or checked)
    arguments for ``env``'s spaces, before any training; ``compile`` (PyTorch) None is
    eager, whatever the run trained with (acting does not use it)."""
    return build_learner(registry.spec(algo), registry.learner_class(algo), cfg, env,
                         **_backend_kwargs(algo, device, compile))


def load(run_dir, backend=None, device=None):
    """The trained learner of a run: ``load(run_dir).act(obs, deterministic=True)``.

    ``backend`` ('pytorch' or 'jax') runs the saved policy in that backend whatever backend
    trained it: the weights cross over in their canonical names. ``device`` is PyTorch's."""
    cfg = run_files.read_config(run_dir)
    saved = config_algo(run_dir, cfg)
    if not osp.isdir(osp.join(run_dir, run_files.MODEL_DIR)):
        raise InputError(f"{run_dir!r} has no saved model: {run_files.MODEL_DIR}/ is missing")
    if backend is not None and backend not in registry.BACKENDS:
        raise InputError(f"backend={backend!r}: expected one of {', '.join(registry.BACKENDS)}")
    algo, saved_backend = registry.lookup(saved)
    target = f"{algo.name}_{backend or saved_backend}"
    cfg, env = read_config(run_dir, saved)
    try:
        learner = learner_from_config(saved, cfg, env, device)
        other = None if target == saved else learner_from_config(target, cfg, env, device)
    finally:
        env.close()
    learner.load(osp.join(run_dir, run_files.MODEL_DIR))
    if other is None:
        return learner
    other.set_params(learner.get_params())
    return other


def run_status(run_dir):
    """(config, checkpoint meta or None, epochs the run was asked for, epochs completed)."""
    cfg = run_files.read_config(run_dir)
    try:
        epochs = positive_int("epochs", cfg.get("epochs"))
    except InputError as e:
        raise _in_config(run_dir, e) from None
    meta = None
    if osp.isfile(run_files.checkpoint_path(run_dir)):
        meta = run_files.load_checkpoint(run_dir)[1]
        algo = config_algo(run_dir, cfg)
        if "algo" in meta and meta["algo"] != algo:
            raise _in_config(run_dir, f"algo is {cfg['algo']!r}, but its checkpoint was "
                                      f"written by {meta['algo']}; was config.json changed?")
    done = 0 if meta is None else meta["epoch"] + 1
    return cfg, meta, epochs, done


def check_resume(run_dir, epochs=None, device=None, compile=None):
    """Everything ``resume`` needs, checked before any work: a run folder with a valid
    checkpoint, epochs left to run (or an ``epochs`` extending a finished run), a usable
    device, a writable folder that no other process holds. Returns (config, checked
    arguments, env); the env is open."""
    run_files.check_run_dir_free(run_dir)
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
    kwargs = {"epochs": epochs or planned,
              "logger_kwargs": dict(output_dir=run_dir, exp_name=cfg.get("exp_name"))}
    if isinstance(cfg.get("logger_kwargs"), dict) and "tensorboard" in cfg["logger_kwargs"]:
        kwargs["logger_kwargs"]["tensorboard"] = cfg["logger_kwargs"]["tensorboard"]
    if device is not None or "device" in cfg:
        kwargs["device"] = device if device is not None else cfg["device"]
    if compile is not None:  # PyTorch: the run's own mode otherwise (checked with the rest)
        if registry.lookup(config_algo(run_dir, cfg))[1] != "pytorch":
            raise InputError(f"--compile {compile}: {cfg['algo']} is not a PyTorch algorithm; "
                             "only PyTorch runs are compiled")
        kwargs["compile"] = compile
    env = make_env(run_dir, cfg)
    try:
        args = checked_config(run_dir, cfg, env, **kwargs)
    except BaseException:
        env.close()
        raise
    return cfg, args, env


def population_members(run_dir, cfg):
    """The run folders of the population ``run_dir`` was trained in (config.json's
    'population': the members' folders relative to this one), or None for a run trained
    alone. Each must be a run folder of the same algorithm."""
    rel = cfg.get(POPULATION_KEY)
    if rel is None:
        return None
    if not (isinstance(rel, list) and len(rel) >= 2 and all(isinstance(r, str) for r in rel)):
        raise _in_config(run_dir, f"{POPULATION_KEY} is {rel!r}; expected the folders of the "
                                  "population's members, relative to this one")
    members = [osp.normpath(osp.join(run_dir, r)) for r in rel]
    for m in members:
        if not osp.isfile(osp.join(m, run_files.CONFIG)):
            raise _in_config(run_dir, f"its population's member {m} is not a run folder "
                                      "(moved apart?); the members resume together")
        if run_files.read_config(m).get("algo") != cfg["algo"]:
            raise _in_config(run_dir, f"its population's member {m} ran another algorithm")
    return members


def resume(run_dir, epochs=None, device=None, alone=False, compile=None):
    """Continue a run from its checkpoint until it has ``epochs`` epochs (default: the number
    it was started with), appending to its progress.txt. Returns the learner. The folder is
    held from the first check to the end (``run_files.lock_run_dir``). A member of a
    population (``--population``) resumes with all its members, as the population (see
    ``resume_population``), unless ``alone``."""
    if not alone and osp.isfile(osp.join(run_dir, run_files.CONFIG)):
        members = population_members(run_dir, run_files.read_config(run_dir))
        if members is not None:
            return resume_population(members, epochs, device)[members.index(
                osp.normpath(run_dir))]
    if osp.isdir(run_dir):
        run_files.lock_run_dir(run_dir)
    try:
        cfg, args, env = check_resume(run_dir, epochs, device, compile)
    except BaseException:
        run_files.release_run_dir(run_dir)
        raise
    algo = registry.resolve(cfg["algo"])
    try:
        # The checked arguments: normalised networks and every hyperparameter, the compile
        # mode among them (a checkpoint resumes in any mode).
        learner = learner_from_config(algo, args, env, args.get("device"), args.get("compile"))
        checkpoint = run_files.load_checkpoint(run_dir)
    except BaseException:
        env.close()
        run_files.release_run_dir(run_dir)
        raise
    sp = registry.spec(algo)
    return sp.loop().train(sp, algo, env_fn_from_config(cfg), env, learner, args,
                           resume=checkpoint)


def resume_population(members, epochs=None, device=None):
    """Continue the members of a population together from their checkpoints, with the
    vmapped updates they trained with, so that they go on as the population that never
    stopped. Every member's folder is held and checked before any starts; their checkpoints
    must be of one epoch (a kill between two members' saves leaves them a save apart: then
    each resumes alone, as a run of its own, and says so). Returns the learners."""
    for m in members:
        run_files.lock_run_dir(m)
    opened = []
    try:
        checked = []
        for m in members:
            cfg, args, env = check_resume(m, epochs, device)
            opened.append(env)
            checked.append((m, cfg, args, env, run_files.load_checkpoint(m)))
        done = {c[4][1]["epoch"] for c in checked}
        if len(done) > 1:
            for env in opened:
                env.close()
            opened = []
            at = ", ".join(f"{osp.basename(c[0])}: {c[4][1]['epoch']}" for c in checked)
            print(f"note: the population's checkpoints are at different epochs ({at}; "
                  "stopped between two members' saves): each member resumes alone, so its "
                  "numbers part from the population's by float rounding", flush=True)
            for m in members:
                run_files.release_run_dir(m)
            return [resume(m, epochs, device, alone=True) for m in members]
        from spinup.algos.common.off_policy import OffPolicyRun
        from spinup.algos.common.population import members_config, resume_population as joint
        algo = registry.resolve(checked[0][1]["algo"])
        sp = registry.spec(algo)
        runs = []
        for m, cfg, args, env, checkpoint in checked:
            learner = learner_from_config(algo, args, env, args.get("device"),
                                          args.get("compile"))
            runs.append(OffPolicyRun(sp, algo, env_fn_from_config(cfg), env, learner, args,
                                     resume=checkpoint,
                                     extra_config=members_config(m, members)))
        print(f"Resuming the population of {len(members)} seeds together: "
              + ", ".join(members), flush=True)
        return joint(runs, algo)
    except BaseException:
        for env in opened:
            env.close()
        raise
    finally:
        for m in members:
            run_files.release_run_dir(m)


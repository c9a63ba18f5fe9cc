"""Compiled PyTorch: one optimizer step written twice over the same losses, and the means of
running a learner's updates compiled (``torch.compile``) or, on CUDA, captured in CUDA graphs.

Every PyTorch learner steps its optimizers through ``Optimizing.optimize(name, loss_fn,
*args)``. With ``compile='none'`` (eager) that is PyTorch's usual ``zero_grad``, ``backward``,
``Adam.step``, exactly as before. Otherwise the step is functional: the gradients come from
``torch.func.grad_and_value`` over ``functional_call`` of the *same* loss function (the
learner's own method, its modules' parameters swapped for the differentiated inputs), and
Adam is applied in place by ``adam_``, written from the formula ``torch.optim.Adam`` uses,
onto the very tensors ``torch.optim.Adam`` keeps as its state. Such a step has no
``backward()`` call and no optimizer method inside it, so Dynamo traces a whole update (loss,
gradients, Adam, target averaging) as one graph with no break; checkpoints, which read the
optimizers' ``state_dict``, are the same in every mode, so a run trained compiled resumes
eager and the reverse.

Modes (``COMPILE_MODES``):
- 'none': eager PyTorch.
- 'default': the learner's update functions through ``torch.compile(fullgraph=True)``: an
  off-policy update (a critic step, the actor step and the target averaging) or an
  on-policy policy step and value step, each one graph.
- 'cudagraphs': 'default', and each compiled function replayed from a CUDA graph captured
  with static inputs (``CudaGraphed``): the block of ``update_every`` off-policy updates is
  one graph, the on-policy value step one graph replayed ``train_v_iters`` times. CUDA only.
"""
import shutil

import torch
import torch.nn as nn
from torch.func import functional_call, grad_and_value

from spinup.algos.common.checks import InputError

COMPILE_MODES = ("none", "default", "cudagraphs")


def check_compile(mode, device):
    """``mode`` must be one of COMPILE_MODES and usable with ``device`` (a torch.device or
    its name): 'cudagraphs' needs CUDA, and compiling for the CPU needs a C++ compiler."""
    if not isinstance(mode, str) or mode not in COMPILE_MODES:
        raise InputError(f"compile={mode!r}: expected one of {', '.join(map(repr, COMPILE_MODES))}")
    kind = torch.device(device).type if device is not None else (
        "cuda" if torch.cuda.is_available() else "cpu")
    if mode == "cudagraphs" and kind != "cuda":
        raise InputError(f"compile='cudagraphs': CUDA graphs need a CUDA device, and this run's "
                         f"device is {kind!r}; use compile='default' on the CPU")
    if mode != "none" and kind == "cpu" and not any(
            shutil.which(cc) for cc in ("g++", "c++", "clang++")):
        raise InputError(f"compile={mode!r}: torch.compile needs a C++ compiler for the CPU "
                         "(g++ or clang++ on the PATH; Debian: apt-get install g++); none "
                         "was found. Use compile='none'")
    return mode


class _Holder(nn.Module):
    """Calls a loss function with ``ac``'s (and ``ac_targ``'s) parameters swapped
    (``functional_call``): the learner's own loss methods, which read ``self.ac``, become
    functions of the parameters."""

    def __init__(self, ac):
        super().__init__()
        self.ac = ac

    def forward(self, loss_fn, *args):
        return loss_fn(*args)


def _split(out):
    """A loss function's result as (loss, aux): a bare loss has aux () (torch.func's aux
    must hold tensors)."""
    return (out, ()) if isinstance(out, torch.Tensor) else (out[0], out[1])


@torch.no_grad()
def adam_(params, grads, states, lr, betas, eps, accept=None):
    """``torch.optim.Adam``'s step (no weight decay, no amsgrad), in place on ``params`` and
    their ``states`` (``step``, ``exp_avg``, ``exp_avg_sq``, Adam's own tensors). The bias
    corrections are computed in float64, as Adam's Python floats are. ``accept`` (a boolean
    tensor, or None): where False, nothing changes (a step decided on the device, with no
    synchronisation)."""
    b1, b2 = betas
    for p, g, st in zip(params, grads, states):
        # As 1-d views: the compiled graph loses in-place writes to 0-d float64 inputs on
        # the CPU (a temperature's log_alpha; seen with torch 2.13).
        p, g = p.view(-1), g.reshape(-1)
        st = {k: v.view(-1) for k, v in st.items()}
        step = st["step"] + 1
        m = st["exp_avg"].lerp(g, 1 - b1)
        v = st["exp_avg_sq"] * b2 + (1 - b2) * g * g
        t = step.to(torch.float64)
        step_size = (lr / (1 - b1 ** t)).to(p.dtype)
        bc2_sqrt = torch.sqrt(1 - b2 ** t).to(p.dtype)
        new = p - step_size * (m / (v.sqrt() / bc2_sqrt + eps))
        if accept is not None:
            step, m, v = (torch.where(accept, a, b) for a, b in
                          ((step, st["step"]), (m, st["exp_avg"]), (v, st["exp_avg_sq"])))
            new = torch.where(accept, new, p)
        p.copy_(new)
        st["step"].copy_(step)
        st["exp_avg"].copy_(m)
        st["exp_avg_sq"].copy_(v)


class Optimizing:
    """The optimizer step of a PyTorch learner in every compile mode (mixed into
    ``TorchAdapter``). Needs ``self.ac`` and ``self.optimizers``; ``setup_compile`` runs once
    both exist."""

    compile_mode = "none"
    functional = False
    _adam_swap = None  # a population's per-member Adam states, while ``swapped`` runs

    def setup_compile(self, mode):
        """Use compile ``mode`` (checked) from now on: link Adam's state for the functional
        step and remember what each optimizer owns."""
        self.compile_mode = check_compile(mode, self.device)
        self.functional = mode != "none"
        self._holder = _Holder(self.ac)
        if getattr(self, "ac_targ", None) is not None:
            self._holder.ac_targ = self.ac_targ  # swapped too, for a population's members
        names = {id(p): n for n, p in self.ac.named_parameters()}
        self._owned, self._others = {}, {}
        for name, opt in self.optimizers.items():
            (group,) = opt.param_groups
            if group["weight_decay"] or group["amsgrad"] or group["maximize"]:
                raise ValueError(f"optimizer {name!r}: the functional step is plain Adam")
            self._owned[name] = [names[id(p)] for p in group["params"]]
            owned = {id(p) for p in group["params"]}
            self._others[name] = [p for p in self.ac.parameters() if id(p) not in owned]
        if self.functional:
            self.link_optimizer_state()

    def use_functional_step(self):
        """Step with the functional Adam even when not compiled (a population's vmap)."""
        self.functional = True
        self.link_optimizer_state()

    def link_optimizer_state(self):
        """Give each parameter Adam's state now (zeros and step 0, what Adam's first step
        would create) and list it for ``adam_``. Loading a checkpoint replaces the state
        tensors, so this runs again after every load."""
        if not self.functional:
            return
        capturable = self.device.type == "cuda"  # the step counter lives on the device
        self._adam = {}
        for name, opt in self.optimizers.items():
            (group,) = opt.param_groups
            states = []
            for p in group["params"]:
                st = opt.state[p]
                if not st:
                    st.update(step=torch.zeros((), dtype=torch.float32),
                              exp_avg=torch.zeros_like(p), exp_avg_sq=torch.zeros_like(p))
                st["step"] = torch.as_tensor(st["step"], dtype=torch.float32,
                                             device=self.device if capturable else "cpu")
                states.append(st)
            self._adam[name] = (states, group["lr"], group["betas"], group["eps"])

    def optimize(self, name, loss_fn, *args, accept=None):
        """One Adam step of optimizer ``name`` on ``loss_fn(*args)`` (a loss, or (loss, aux)),
        only the optimizer's parameters receiving gradients. ``accept(aux)`` (optional) -> a
        boolean tensor: no step where it is False. Returns (loss, aux), detached."""
        if self.functional:
            return self._functional_step(name, loss_fn, args, accept)
        opt = self.optimizers[name]
        others = [p for p in self._others[name] if p.requires_grad]
        for p in others:  # the loss's gradient flows to the optimizer's parameters only
            p.requires_grad_(False)
        try:
            opt.zero_grad()
            loss, aux = _split(loss_fn(*args))
            if accept is None or bool(accept(aux)):
                loss.backward()
                opt.step()
        finally:
            for p in others:
                p.requires_grad_(True)
        return loss.detach(), aux

    def _functional_step(self, name, loss_fn, args, accept):
        grads, loss, aux = self._functional_grads(name, loss_fn, args)
        states, lr, betas, eps = self._adam[name]
        named = dict(self.ac.named_parameters())  # a population member's, while swapped
        params = [named[n] for n in self._owned[name]]
        if self._adam_swap is not None:
            states = self._adam_swap[name]
        adam_(params, [grads[n] for n in self._owned[name]], states, lr, betas, eps,
              None if accept is None else accept(aux))
        return loss.detach(), aux

    def _functional_grads(self, name, loss_fn, args):
        """({name: gradient} of optimizer ``name``'s parameters, loss, aux) by torch.func."""
        fixed = {"ac." + n: p.detach() for n, p in self.ac.named_parameters()}

        def loss_of(sub):
            params = dict(fixed, **{"ac." + n: v for n, v in sub.items()})
            return _split(functional_call(self._holder, params, (loss_fn, *args)))

        sub = {n: fixed["ac." + n] for n in self._owned[name]}
        grads, (loss, aux) = grad_and_value(loss_of, has_aux=True)(sub)
        return grads, loss, aux

    def loss_and_grads(self, name, loss_fn, *args):
        """For the parity tests: (loss, {parameter name: gradient}) of ``loss_fn(*args)`` for
        optimizer ``name``'s parameters, computed as this mode's step computes them
        (autograd eager; torch.func, compiled, otherwise). Changes nothing."""
        if not self.functional:
            owned = self._owned[name]
            named = dict(self.ac.named_parameters())
            loss, _ = _split(loss_fn(*args))
            grads = torch.autograd.grad(loss, [named[n] for n in owned])
            return loss.detach(), dict(zip(owned, grads))
        if not hasattr(self, "_grads_c"):
            self._grads_c = self.compiled(self._functional_grads)
        grads, loss, _ = self._grads_c(name, loss_fn, args)
        return loss.detach(), grads

    # --- Compiling -------------------------------------------------------------------------

    def compiled(self, fn):
        """``fn`` as this mode runs it: itself (eager), or ``torch.compile``d as one graph
        (a graph break is an error: it would be a performance bug)."""
        if self.compile_mode == "none":
            return fn
        # Dynamo keeps one cache per function's code: every learner of a process (tests,
        # bench) and every dtype, shape or kind of update is one entry of it.
        torch._dynamo.config.recompile_limit = max(torch._dynamo.config.recompile_limit, 256)
        torch._dynamo.config.accumulated_recompile_limit = max(
            torch._dynamo.config.accumulated_recompile_limit, 4096)
        return torch.compile(fn, fullgraph=True, dynamic=False)

    def graphed(self, fn):
        """``fn`` (which calls compiled functions) replayed from CUDA graphs in mode
        'cudagraphs'; itself otherwise."""
        if self.compile_mode != "cudagraphs":
            return fn
        return CudaGraphed(fn, self.mutable_tensors)

    def state_layout(self):
        """What an update changes in place, in a fixed order: ('ac', name) parameters,
        ('ac_targ', name) targets, ('adam', optimizer, i, key) Adam's state."""
        out = [("ac", n) for n, _ in self.ac.named_parameters()]
        if getattr(self, "ac_targ", None) is not None:
            out += [("ac_targ", n) for n, _ in self.ac_targ.named_parameters()]
        for name, (states, *_) in getattr(self, "_adam", {}).items():
            out += [("adam", name, i, k) for i in range(len(states))
                    for k in ("step", "exp_avg", "exp_avg_sq")]
        return out

    def mutable_tensors(self):
        """The tensors of ``state_layout``: parameters, targets, Adam's state."""
        out = list(self.ac.parameters())
        if getattr(self, "ac_targ", None) is not None:
            out += list(self.ac_targ.parameters())
        for states, *_ in getattr(self, "_adam", {}).values():
            out += [st[k] for st in states for k in ("step", "exp_avg", "exp_avg_sq")]
        return out

    def swapped(self, tensors, fn, *args):
        """``fn(*args)`` with ``tensors`` (as ``mutable_tensors``: a population member's
        slices) in place of this learner's own parameters, targets and Adam state; its
        in-place updates land in ``tensors``. Needs the functional step."""
        modules, adam = {}, {}
        for (kind, *key), t in zip(self.state_layout(), tensors):
            if kind == "adam":
                name, i, k = key
                adam.setdefault(name, {}).setdefault(i, {})[k] = t
            else:
                modules[f"{kind}.{key[0]}"] = t
        self._adam_swap = {name: [st[i] for i in range(len(st))] for name, st in adam.items()}
        try:
            return functional_call(self._holder, modules, (fn, *args))
        finally:
            self._adam_swap = None


def graph_counts():
    """(graphs Dynamo has compiled, graph breaks) in this process so far."""
    from torch._dynamo.utils import counters
    return (int(counters["stats"].get("unique_graphs", 0)),
            int(sum(counters["graph_break"].values())))


class CudaGraphed:
    """A function of tensors (and pytrees of them) run from a CUDA graph: per input
    signature, static copies of the inputs, a warm-up (whose changes to the learner's state,
    ``mutable()``, are undone), one capture, then a copy-in and a replay per call. Its
    outputs are cloned, since the next replay overwrites the graph's. Python-scalar
    arguments are part of the signature: each value is its own graph."""

    def __init__(self, fn, mutable):
        self.fn, self.mutable, self.graphs = fn, mutable, {}

    def __call__(self, *args):
        flat, spec = torch.utils._pytree.tree_flatten(args)
        key = (spec, tuple((tuple(t.shape), t.dtype) if isinstance(t, torch.Tensor) else t
                           for t in flat))
        if key not in self.graphs:
            self.graphs[key] = self._capture(flat, spec)
        graph, static_in, static_out = self.graphs[key]
        for s, t in zip(static_in, flat):
            if isinstance(t, torch.Tensor):
                s.copy_(t)
        graph.replay()
        return torch.utils._pytree.tree_map(
            lambda x: x.clone() if isinstance(x, torch.Tensor) else x, static_out)

    def _capture(self, flat, spec):
        static_in = [t.clone() if isinstance(t, torch.Tensor) else t for t in flat]
        args = torch.utils._pytree.tree_unflatten(static_in, spec)
        saved = [t.detach().clone() for t in self.mutable()]
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            for _ in range(2):  # compiles, and lets the allocator settle, before capture
                self.fn(*args)
        torch.cuda.current_stream().wait_stream(stream)
        with torch.no_grad():
            for t, s in zip(self.mutable(), saved):
                t.copy_(s)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            static_out = self.fn(*args)
        return graph, static_in, static_out

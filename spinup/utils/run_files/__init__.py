"""The files of a run folder, read and written in one place.

A run folder ``data/<exp>/<exp>_s<seed>/`` holds ``config.json`` (the run's arguments,
``algo``, ``env_fn`` and ``spinup_format``), ``progress.txt`` (one row per epoch), ``model/``
(the trained networks) and ``checkpoint/`` (everything needed to continue training:
``checkpoint.npz`` and, for TD3 with ``save_buffer``, ``buffer/<first>-<end>.npz`` chunks of
the replay buffer). Every read validates what it reads and reports damage as one
``RunFileError`` line naming the file; every write is atomic.

Every file carries a checksum, checked when it is read (``serialization_utils``): config.json
and the ``.npz`` files hold their own; progress.txt, appended to row by row, is checked
against the checksum of its rows that each checkpoint holds. A folder is held by one process
at a time (``lock_run_dir``).

The package's modules: ``layout`` (names, config.json, progress.txt), ``checkpoints``
(checkpoint/ and the replay buffer's chunks) and ``locks`` (one writer per folder); every name
is also here, as ``run_files.<name>``.
"""
from spinup.utils.run_files.checkpoints import *  # noqa: F401,F403
from spinup.utils.run_files.layout import *  # noqa: F401,F403
from spinup.utils.run_files.locks import *  # noqa: F401,F403

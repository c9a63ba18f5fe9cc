"""Commands that drive finished algorithms: launching experiments and grids (run_utils, with the
local and Ray engines in engines), and the ``plot``, ``test_policy``, ``compare``, ``bench`` and
``summarize`` subcommands of ``python -m spinup.run``.

Imports flow one way: ``spinup.run`` -> ``spinup.commands`` -> ``spinup.algos`` ->
``spinup.utils``. Nothing under ``spinup.algos`` or ``spinup.utils`` imports from here.
"""

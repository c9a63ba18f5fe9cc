"""The errors that reach the user as one line (``spinup.run`` prints ``error: <message>`` and
exits with status 2, without a traceback)."""


class InputError(ValueError):
    """Bad user input: the message names the value and what is accepted."""


class RunFileError(InputError):
    """A file of a run folder is missing, damaged, or of an unknown format: the message names
    the file and what is wrong with it."""

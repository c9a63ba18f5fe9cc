"""Runs one experiment in a subprocess: ``python -m spinup.commands.run_entrypoint PAYLOAD``, where
PAYLOAD is a base64 cloudpickle of ``(thunk, kwargs)``. A failure's traceback is also written to
``<output_dir>/error.txt`` so that the launcher can report it."""
import base64
import os
import os.path as osp
import sys
import traceback

import cloudpickle


def main(payload):
    thunk, kwargs = cloudpickle.loads(base64.b64decode(payload))
    output_dir = kwargs.get("logger_kwargs", {}).get("output_dir")
    try:
        thunk(**kwargs)
    except BaseException:
        if output_dir:
            os.makedirs(output_dir, exist_ok=True)
            with open(osp.join(output_dir, "error.txt"), "w") as f:
                f.write(traceback.format_exc())
        raise


if __name__ == "__main__":
    main(sys.argv[1])

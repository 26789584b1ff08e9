"""The environment of a test's child Python (``python -m nets``, ``python -c``,
the benchmarks): this checkout's minigrad and nets first on its path."""
import os
from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parent.parent


def child_env(**extra: str) -> Dict[str, str]:
    """``os.environ`` with this checkout first on PYTHONPATH, plus ``extra``.

    pytest imports this checkout (the root conftest puts it first), but a child
    Python imports whichever nets the venv installed: with two clones sharing a
    venv, or an older ``pip install``, the child ran the other copy and the test
    checked that copy's behaviour, not this one's."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}

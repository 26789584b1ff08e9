"""The one rule for a seed: what ``np.random.RandomState`` accepts, an int in
[0, 2**32 - 1]. Datasets, initialisers and the command line all check it here,
so a seed means the same thing (and is refused the same way) everywhere."""
from __future__ import annotations

import numbers

import numpy as np

__all__ = ["SEED_RANGE", "check_seed", "random_state"]

SEED_RANGE = "an int in [0, 2**32 - 1]"


def check_seed(seed: object, where: str) -> int:
    """``seed`` as an int, or a ``ValueError`` naming ``where`` (a function or a flag)."""
    # bool is an int subclass; a seed of True is a bug, not a seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) \
            or not 0 <= seed < 2**32:
        raise ValueError(f"{where}: seed must be {SEED_RANGE}; got {seed!r}")
    return int(seed)


def random_state(seed: object, where: str) -> np.random.RandomState:
    """``np.random.RandomState(seed)`` once ``seed`` passes ``check_seed``."""
    return np.random.RandomState(check_seed(seed, where))

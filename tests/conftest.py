"""Hypothesis profiles, and the one-ulp nudge of the numerically sensitive tests.

Hypothesis: "dev" (default, random) and "ci" (derandomized, fixed example
counts, no deadline). Pick one with HYPOTHESIS_PROFILE=ci. "stress" (``make
stress``) runs 1000 examples a test: the rare cases 60 do not reach (a weight
of 4.5e-308, a zero weight cutting a path) are found there.

Round-off: another BLAS kernel, CPU or numpy version rounds some results
differently in the last bit, and a long training can amplify that. A test
marked ``numerics`` takes the ``nudge`` fixture and runs three times: on its
inputs as they are, with the initial weights moved by one ulp, and with the
data moved by one ulp. That is what another machine's rounding does to a
trajectory, so an assertion that holds all three ways does not depend on this
machine's last bits. (To see a real other kernel, run the suite once with e.g.
OPENBLAS_CORETYPE=Prescott; the tests never set it.)
"""
import contextlib
import shutil
import os
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import nets.data
import nets.network

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "stress", max_examples=1000, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                           HealthCheck.data_too_large])
settings.register_profile(
    "ci", max_examples=60, derandomize=True, deadline=None, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def one_ulp(a: np.ndarray) -> np.ndarray:
    """A copy of ``a`` with every non-zero entry moved by one ulp: up in the
    first half of the entries (row-major), down in the rest. So the first and
    last rows of a matrix move apart (equal rows stop being equal: a kernel
    may round one row differently from another), and nothing is a plain
    rescaling. Exact zeros stay zero: no machine rounds an exact 0 init."""
    a = np.asarray(a, dtype=np.float64)
    flat = a.reshape(-1)
    up = np.arange(flat.size) < (flat.size + 1) // 2
    moved = np.nextafter(flat, np.where(up, np.inf, -np.inf))
    return np.where(flat != 0, moved, flat).reshape(a.shape)


def legend_of_report(source: str) -> str:
    """mg.draw's DOT source with the legend row BackpropReport.draw gives its red
    nodes: the same picture, but for what the legend calls them."""
    assert source.count(">highlighted<") == 1, source
    return source.replace(">highlighted<", ">returned, wrong<")


@dataclass(frozen=True)
class Nudge:
    """What a ``numerics`` test nudges: "none", "weights" or "data"."""
    kind: str

    def weights(self, net):
        """``net`` with its weights W[l] moved by one ulp (in place) when
        nudging weights; biases start at an exact 0 and stay."""
        if self.kind == "weights":
            for name, value in net.params.items():
                if name.startswith("W"):
                    value[...] = one_ulp(value)
        return net

    def data(self, X: np.ndarray) -> np.ndarray:
        """``X`` moved by one ulp when nudging data, else ``X`` itself."""
        return one_ulp(X) if self.kind == "data" else X

    @contextlib.contextmanager
    def everywhere(self) -> Iterator[None]:
        """Inside: every net's initial weights (``nets.network.initialize``)
        or every dataset (``nets.data``'s one assembly point, ``_stack``) is
        nudged, for code that builds its nets and data itself (experiments)."""
        with pytest.MonkeyPatch.context() as patch:
            if self.kind == "weights":
                initialize = nets.network.initialize

                def nudged_initialize(*args, **kwargs):
                    params = initialize(*args, **kwargs)
                    return {k: one_ulp(v) if k.startswith("W") else v for k, v in params.items()}

                patch.setattr(nets.network, "initialize", nudged_initialize)
            elif self.kind == "data":
                stack = nets.data._stack

                def nudged_stack(*parts):
                    X, Y = stack(*parts)
                    return one_ulp(X), Y

                patch.setattr(nets.data, "_stack", nudged_stack)
            yield


@pytest.fixture(scope="module", params=["none", "weights", "data"])
def nudge(request) -> Nudge:
    """The nudge of a ``numerics`` test (module scope, so hypothesis tests and
    module fixtures can take it)."""
    return Nudge(request.param)


def pytest_collection_modifyitems(config, items):
    """``numerics`` and the ``nudge`` fixture go together: a sensitive test
    that did not run nudged would prove nothing, and a nudged test should say so."""
    for item in items:
        marked = item.get_closest_marker("numerics") is not None
        nudged = "nudge" in getattr(item, "fixturenames", ())
        if marked != nudged:
            raise pytest.UsageError(
                f"{item.nodeid}: " + ("marked numerics but takes no nudge fixture" if marked
                                      else "takes the nudge fixture but is not marked numerics"))


@pytest.fixture
def without_dot(tmp_path, monkeypatch) -> None:
    """A PATH with no Graphviz `dot` on it, as on a machine that never installed it."""
    empty = tmp_path / "no-dot-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert shutil.which("dot") is None

"""The shallow neural networks of the notes, built on minigrad.

    from nets import data, TwoLayerNet
    X, Y = data.flower(m=400, seed=1)
    net = TwoLayerNet(n_x=2, n_h=4, activation="tanh", seed=2)
    costs = net.fit(X, Y, iterations=10_000, learning_rate=1.2)
"""
from nets import activations, data, init
from nets.check import BackpropReport, check_backprop
from nets.course import course
from nets.network import DeepNet, Graph, Network, accuracy, check_data, cost
from nets.two_layer import LogisticRegression, TwoLayerNet

__all__ = ["activations", "data", "init", "Network", "DeepNet", "TwoLayerNet",
           "LogisticRegression", "Graph", "accuracy", "cost", "check_data",
           "check_backprop", "BackpropReport", "course"]


def __getattr__(name: str):
    # nets.testing needs hypothesis, a test extra: it is imported on first use of
    # nets.testing, so `import nets` works without hypothesis. It stays out of
    # __all__ for the same reason (`from nets import *` must not need it).
    if name == "testing":
        import importlib
        return importlib.import_module("nets.testing")
    raise AttributeError(f"module 'nets' has no attribute {name!r}")

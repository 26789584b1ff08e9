"""The shallow neural networks of the notes, built on minigrad.

    from nets import data, TwoLayerNet
    X, Y = data.flower(m=400, seed=1)
    net = TwoLayerNet(n_x=2, n_h=4, activation="tanh", seed=2)
    costs = net.fit(X, Y, iterations=10_000, learning_rate=1.2)
"""
from nets import activations, data, init
from nets.network import DeepNet, Graph, Network, accuracy, check_data, cost
from nets.two_layer import LogisticRegression, TwoLayerNet

__all__ = ["activations", "data", "init", "Network", "DeepNet", "TwoLayerNet",
           "LogisticRegression", "Graph", "accuracy", "cost", "check_data"]

"""The solutions to the notebook's YOUR CODE cells, for the test suite: each
block replaces the lines between ``### YOUR CODE (name)`` and ``### END``.

Learners: try the cells yourself first; minigrad's check tells you where a
formula goes wrong, which teaches more than reading these.
"""

SOLUTIONS = {
    "forward_propagation": """\
Z1 = W1 @ X + b1
A1 = np.tanh(Z1)
Z2 = W2 @ A1 + b2
A2 = 1 / (1 + np.exp(-Z2))
""",
    "compute_cost": """\
cost = -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m
""",
    "backward_propagation": """\
dZ2 = A2 - Y
dW2 = (1 / m) * dZ2 @ A1.T
db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
dZ1 = W2.T @ dZ2 * (1 - A1 ** 2)
dW1 = (1 / m) * dZ1 @ X.T
db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)
""",
}

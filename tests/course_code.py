"""The course's assignment code ("Planar data classification with one hidden
layer"), exactly as the assignment writes it: the reference learner's code the
tests hand to check_backprop, assert_backprop_matches and `minigrad check --hand`.

``SOURCE`` is the file a learner would have; ``SLIPS`` the classic slips as
edits of that text (what a learner types instead), so that every test checks
code as written, not a paraphrase of it. ``load(slip)`` runs the text and
returns its namespace.
"""
import textwrap

SOURCE = textwrap.dedent('''\
    import numpy as np


    def sigmoid(x):
        s = 1 / (1 + np.exp(-x))
        return s


    def forward_propagation(X, parameters):
        # Retrieve each parameter from the dictionary "parameters"
        W1 = parameters["W1"]
        b1 = parameters["b1"]
        W2 = parameters["W2"]
        b2 = parameters["b2"]

        # Implement Forward Propagation to calculate A2 (probabilities)
        Z1 = np.dot(W1, X) + b1
        A1 = np.tanh(Z1)
        Z2 = np.dot(W2, A1) + b2
        A2 = sigmoid(Z2)

        assert(A2.shape == (1, X.shape[1]))

        cache = {"Z1": Z1,
                 "A1": A1,
                 "Z2": Z2,
                 "A2": A2}

        return A2, cache


    def backward_propagation(parameters, cache, X, Y):
        m = X.shape[1]

        # First, retrieve W1 and W2 from the dictionary "parameters".
        W1 = parameters["W1"]
        W2 = parameters["W2"]

        # Retrieve also A1 and A2 from dictionary "cache".
        A1 = cache["A1"]
        A2 = cache["A2"]

        # Backward propagation: calculate dW1, db1, dW2, db2.
        dZ2 = A2 - Y
        dW2 = (1 / m) * np.dot(dZ2, A1.T)
        db2 = (1 / m) * np.sum(dZ2, axis=1, keepdims=True)
        dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))
        dW1 = (1 / m) * np.dot(dZ1, X.T)
        db1 = (1 / m) * np.sum(dZ1, axis=1, keepdims=True)

        grads = {"dW1": dW1,
                 "db1": db1,
                 "dW2": dW2,
                 "db2": db2}

        return grads
    ''')

# slip -> [(text as the assignment has it, text as the learner wrote it), ...]
SLIPS = {
    "missing 1/m": [("(1 / m) * ", "")],
    "A1 for g'(Z1)": [("* (1 - np.power(A1, 2))", "* A1")],
    "1 - Z1^2 for 1 - A1^2": [('A2 = cache["A2"]', 'A2 = cache["A2"]\n    Z1 = cache["Z1"]'),
                              ("(1 - np.power(A1, 2))", "(1 - np.power(Z1, 2))")],
    "transposed dW1": [("np.dot(dZ1, X.T)", "np.dot(X, dZ1.T)")],
    "dropped keepdims": [("np.sum(dZ1, axis=1, keepdims=True)", "np.sum(dZ1, axis=1)")],
    "sum over every axis": [("np.sum(dZ2, axis=1, keepdims=True)", "np.sum(dZ2)")],
    "1/m twice": [("dW1 = (1 / m) * ", "dW1 = (1 / m) * (1 / m) * ")],
    "sigmoid's slope for tanh": [("(1 - np.power(A1, 2))", "A1 * (1 - A1)")],
    "dropped parentheses": [("* (1 - np.power(A1, 2))", "* 1 - np.power(A1, 2)")],
    # dZ2 = A2 - Y holds σ′ already: multiplied by it again, or the general dA2 kept
    "sigma' twice": [("dZ2 = A2 - Y", "dZ2 = (A2 - Y) * A2 * (1 - A2)")],
    "dA2 for dZ2": [("dZ2 = A2 - Y", "dZ2 = -(Y / A2) + (1 - Y) / (1 - A2)")],
    "Z2 for A2": [('A2 = cache["A2"]', 'A2 = cache["A2"]\n    Z2 = cache["Z2"]'),
                  ("dZ2 = A2 - Y", "dZ2 = Z2 - Y")],
    # dZ2 (1, m) broadcasts against (n_h, m): no error without the W2.T
    "W2 left out": [("np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))", "dZ2 * (1 - np.power(A1, 2))")],
    "(1 - A1)^2 for 1 - A1^2": [("(1 - np.power(A1, 2))", "np.power(1 - A1, 2)")],
    "A2 for A1 in g'": [("(1 - np.power(A1, 2))", "(1 - np.power(A2, 2))")],
    "1/m in dZ1": [("dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2))",
                    "dZ1 = np.dot(W2.T, dZ2) * (1 - np.power(A1, 2)) / m")],
    "Z1 for A1 in dW2": [('A2 = cache["A2"]', 'A2 = cache["A2"]\n    Z1 = cache["Z1"]'),
                         ("np.dot(dZ2, A1.T)", "np.dot(dZ2, Z1.T)")],
}


# g[1]'(Z1) as the line `dZ1 = ...` has it when the assignment is done for another
# hidden activation (the course's relu_backward masks on Z; tanh's and σ's from A1)
G_PRIME = {
    "tanh": "(1 - np.power(A1, 2))",
    "sigmoid": "(A1 * (1 - A1))",
    "relu": "(cache['Z1'] > 0)",
    "leaky_relu": "np.where(cache['Z1'] > 0, 1, 0.01)",
}


# slips of the file written for relu (``written_for``): the mask the other way round
RELU_SLIPS = {
    "mask reversed": [("(cache['Z1'] > 0)", "(cache['Z1'] < 0)")],
    "mask reversed, <=": [("(cache['Z1'] > 0)", "(cache['Z1'] <= 0)")],
}


def written_for(activation, slip=None):
    """The assignment's file with its hidden layer's g' written for ``activation``:
    right on a net of that activation; with a ``slip`` of ``RELU_SLIPS`` made."""
    text = SOURCE.replace(G_PRIME["tanh"], G_PRIME[activation])
    for old, new in RELU_SLIPS[slip] if slip else []:
        assert old in text, (slip, old)
        text = text.replace(old, new)
    return text


def source(slip=None):
    """The assignment's file, with one classic ``slip`` made (None: as written)."""
    text = SOURCE
    for old, new in SLIPS[slip] if slip else []:
        assert old in text, (slip, old)
        text = text.replace(old, new)
    return text


def load(slip=None):
    """The namespace of ``source(slip)``: its ``backward_propagation`` and the rest."""
    namespace = {}
    exec(compile(source(slip), f"course_code[{slip}]", "exec"), namespace)
    return namespace


def load_written_for(activation, slip=None):
    """The namespace of ``written_for(activation, slip)``."""
    namespace = {}
    exec(compile(written_for(activation, slip), f"course_code[{activation}, {slip}]", "exec"),
         namespace)
    return namespace

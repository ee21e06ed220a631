"""The seed's network (2-10-5-1, ReLU, sigmoid output) trained by the fastest plain-numpy
loop we could write for it: every layer spelled out, the cost from the logits, gradients
and updates in place. Not part of the library (it trains this one network only): the
training benchmark runs it to show how fast numpy can do the seed's experiment at all,
the ceiling for any readable general loop."""

import numpy as np
from scipy.special import expit


def fused_train(X, Y, parameters, learning_rate=0.01, num_iterations=15000):
    """Full-batch gradient descent, the cost at every step. Returns (parameters, costs)."""
    W1, b1, W2, b2, W3, b3 = (parameters[k].copy() for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
    m = X.shape[1]
    costs = []
    for _ in range(num_iterations):
        Z1 = W1 @ X
        Z1 += b1
        A1 = np.maximum(Z1, 0)
        Z2 = W2 @ A1
        Z2 += b2
        A2 = np.maximum(Z2, 0)
        Z3 = W3 @ A2
        Z3 += b3
        costs.append((np.logaddexp(0, Z3).sum() - np.vdot(Y, Z3)) / m)
        dZ3 = expit(Z3)
        dZ3 -= Y
        dZ3 /= m
        dA2 = W3.T @ dZ3
        dA2 *= Z2 > 0
        dA1 = W2.T @ dA2
        dA1 *= Z1 > 0
        for W, b, dZ, A_prev in ((W3, b3, dZ3, A2), (W2, b2, dA2, A1), (W1, b1, dA1, X)):
            W -= learning_rate * (dZ @ A_prev.T)
            b -= learning_rate * dZ.sum(axis=1, keepdims=True)
    return {"W1": W1, "b1": b1, "W2": W2, "b2": b2, "W3": W3, "b3": b3}, costs

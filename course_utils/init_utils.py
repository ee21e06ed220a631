"""The seed's `init_utils.py` (seed 003), mirrored on today's numpy.

Same names, signatures and numbers as the original, so the seed notebook's code runs with
`from course_utils.init_utils import *` in place of `from init_utils import *`. Changes,
all invisible in the results:
- `np.int` no longer exists in numpy; `predict` uses `int`.
- `compute_loss` keeps the seed's formula, so it still returns inf where the seed did, but
  computes it under `np.errstate`, so no RuntimeWarning is printed.
- the seed notebook's own `initialize_parameters_zeros/random/he` and `model` are here too.
- `load_cat_dataset` (unused by the seed, and needing h5 files) is left out.
It uses numpy's global random stream (`np.random.seed`) exactly as the seed does: this is
the one module of course_utils that does, so that the seed's numbers come out.

For anything new, use the general library (course_utils.network, .training, ...).
"""

import matplotlib.pyplot as plt
import numpy as np
import sklearn
import sklearn.datasets

__all__ = [
    "np", "plt", "sklearn",
    "sigmoid", "relu", "forward_propagation", "backward_propagation", "update_parameters",
    "compute_loss", "predict", "plot_decision_boundary", "predict_dec", "load_dataset",
    "initialize_parameters_zeros", "initialize_parameters_random", "initialize_parameters_he",
    "model",
]


def sigmoid(x):
    """
    Compute the sigmoid of x

    Arguments:
    x -- A scalar or numpy array of any size.

    Return:
    s -- sigmoid(x)
    """
    with np.errstate(over="ignore"):  # exp(-x) overflows to inf for x < -709: s = 0, as in the seed
        s = 1 / (1 + np.exp(-x))
    return s


def relu(x):
    """
    Compute the relu of x

    Arguments:
    x -- A scalar or numpy array of any size.

    Return:
    s -- relu(x)
    """
    s = np.maximum(0, x)
    return s


def forward_propagation(X, parameters):
    """
    LINEAR -> RELU -> LINEAR -> RELU -> LINEAR -> SIGMOID

    Arguments:
    X -- input dataset, of shape (input size, number of examples)
    parameters -- python dictionary containing "W1", "b1", "W2", "b2", "W3", "b3"

    Returns:
    a3 -- the output of the sigmoid, shape (1, number of examples)
    cache -- (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)
    """
    W1 = parameters["W1"]
    b1 = parameters["b1"]
    W2 = parameters["W2"]
    b2 = parameters["b2"]
    W3 = parameters["W3"]
    b3 = parameters["b3"]

    z1 = np.dot(W1, X) + b1
    a1 = relu(z1)
    z2 = np.dot(W2, a1) + b2
    a2 = relu(z2)
    z3 = np.dot(W3, a2) + b3
    a3 = sigmoid(z3)

    cache = (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3)
    return a3, cache


def backward_propagation(X, Y, cache):
    """
    Implement the backward propagation.

    Arguments:
    X -- input dataset, of shape (input size, number of examples)
    Y -- true "label" vector (containing 0 or 1)
    cache -- cache output from forward_propagation()

    Returns:
    gradients -- A dictionary with the gradients with respect to each parameter,
                 activation and pre-activation variables
    """
    m = X.shape[1]
    (z1, a1, W1, b1, z2, a2, W2, b2, z3, a3, W3, b3) = cache

    dz3 = 1. / m * (a3 - Y)
    dW3 = np.dot(dz3, a2.T)
    db3 = np.sum(dz3, axis=1, keepdims=True)

    da2 = np.dot(W3.T, dz3)
    dz2 = np.multiply(da2, np.int64(a2 > 0))
    dW2 = np.dot(dz2, a1.T)
    db2 = np.sum(dz2, axis=1, keepdims=True)

    da1 = np.dot(W2.T, dz2)
    dz1 = np.multiply(da1, np.int64(a1 > 0))
    dW1 = np.dot(dz1, X.T)
    db1 = np.sum(dz1, axis=1, keepdims=True)

    gradients = {"dz3": dz3, "dW3": dW3, "db3": db3,
                 "da2": da2, "dz2": dz2, "dW2": dW2, "db2": db2,
                 "da1": da1, "dz1": dz1, "dW1": dW1, "db1": db1}
    return gradients


def update_parameters(parameters, grads, learning_rate):
    """
    Update parameters using gradient descent

    Arguments:
    parameters -- python dictionary containing your parameters
    grads -- python dictionary containing your gradients, output of backward_propagation

    Returns:
    parameters -- python dictionary containing your updated parameters
    """
    L = len(parameters) // 2  # number of layers in the neural networks

    for k in range(L):
        parameters["W" + str(k + 1)] = parameters["W" + str(k + 1)] - learning_rate * grads["dW" + str(k + 1)]
        parameters["b" + str(k + 1)] = parameters["b" + str(k + 1)] - learning_rate * grads["db" + str(k + 1)]

    return parameters


def compute_loss(a3, Y):
    """
    Implement the loss function (the seed's formula, unchanged)

    Arguments:
    a3 -- post-activation, output of forward propagation
    Y -- "true" labels vector, same shape as a3

    Returns:
    loss - value of the loss function: inf when a3 holds an exact 0 or 1 on the wrong side
    """
    m = Y.shape[1]
    # log(0) = -inf and 0 * inf = nan are what the seed computes too; errstate only stops
    # numpy from printing the RuntimeWarnings the seed's output shows.
    with np.errstate(divide="ignore", invalid="ignore"):
        logprobs = np.multiply(-np.log(a3), Y) + np.multiply(-np.log(1 - a3), 1 - Y)
        loss = 1. / m * np.nansum(logprobs)
    return loss


def predict(X, y, parameters):
    """
    This function is used to predict the results of a n-layer neural network.

    Arguments:
    X -- data set of examples you would like to label
    parameters -- parameters of the trained model

    Returns:
    p -- predictions for the given dataset X
    """
    m = X.shape[1]
    p = np.zeros((1, m), dtype=int)  # the seed's np.int, removed from numpy in 1.24

    a3, caches = forward_propagation(X, parameters)

    for i in range(0, a3.shape[1]):
        if a3[0, i] > 0.5:
            p[0, i] = 1
        else:
            p[0, i] = 0

    print("Accuracy: " + str(np.mean((p[0, :] == y[0, :]))))
    return p


def plot_decision_boundary(model, X, y):
    """Colour the plane by `model`'s prediction and scatter the points (the seed's version)."""
    x_min, x_max = X[0, :].min() - 1, X[0, :].max() + 1
    y_min, y_max = X[1, :].min() - 1, X[1, :].max() + 1
    h = 0.01
    xx, yy = np.meshgrid(np.arange(x_min, x_max, h), np.arange(y_min, y_max, h))
    Z = model(np.c_[xx.ravel(), yy.ravel()])
    Z = Z.reshape(xx.shape)
    plt.contourf(xx, yy, Z, cmap=plt.cm.Spectral)
    plt.ylabel('x2')
    plt.xlabel('x1')
    plt.scatter(X[0, :], X[1, :], c=y.ravel(), cmap=plt.cm.Spectral)
    plt.show()


def predict_dec(parameters, X):
    """
    Used for plotting decision boundary.

    Arguments:
    parameters -- python dictionary containing your parameters
    X -- input data of size (m, K)

    Returns
    predictions -- vector of predictions of our model (red: 0 / blue: 1)
    """
    a3, cache = forward_propagation(X, parameters)
    predictions = (a3 > 0.5)
    return predictions


def load_dataset():
    """The seed's circles: 300 training and 100 test points, drawn after np.random.seed(1)
    and np.random.seed(2). Scatters the training points, as the seed does."""
    np.random.seed(1)
    train_X, train_Y = sklearn.datasets.make_circles(n_samples=300, noise=.05)
    np.random.seed(2)
    test_X, test_Y = sklearn.datasets.make_circles(n_samples=100, noise=.05)
    plt.scatter(train_X[:, 0], train_X[:, 1], c=train_Y, s=40, cmap=plt.cm.Spectral)
    train_X = train_X.T
    train_Y = train_Y.reshape((1, train_Y.shape[0]))
    test_X = test_X.T
    test_Y = test_Y.reshape((1, test_Y.shape[0]))
    return train_X, train_Y, test_X, test_Y


# ---------------------------------------------------------------- the seed notebook's own functions


def initialize_parameters_zeros(layers_dims):
    """All weights and biases 0 (the seed's first method)."""
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        parameters['W' + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_random(layers_dims):
    """Standard normal weights times 10, after np.random.seed(3) (the seed's second method)."""
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims)
    for l in range(1, L):
        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * 10
        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def initialize_parameters_he(layers_dims):
    """He: standard normal times sqrt(2 / n_{l-1}), after np.random.seed(3) (the third)."""
    np.random.seed(3)
    parameters = {}
    L = len(layers_dims) - 1
    for l in range(1, L + 1):
        parameters['W' + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(2 / layers_dims[l - 1])
        parameters['b' + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters


def model(X, Y, learning_rate=0.01, num_iterations=15000, print_cost=True, initialization="he",
          *, plot=True, return_costs=False):
    """The seed notebook's model: a [n_x, 10, 5, 1] network trained by gradient descent.

    As in the seed: prints the cost every 1000 iterations, plots the costs and returns the
    parameters. Two keyword-only additions: plot=False skips the figure, and
    return_costs=True returns (parameters, costs), the costs recorded every 1000 iterations.
    (The seed labels that axis "per hundreds"; the costs are every thousand.)
    """
    costs = []
    layers_dims = [X.shape[0], 10, 5, 1]
    if initialization == "zeros":
        parameters = initialize_parameters_zeros(layers_dims)
    elif initialization == "random":
        parameters = initialize_parameters_random(layers_dims)
    elif initialization == "he":
        parameters = initialize_parameters_he(layers_dims)
    else:
        raise ValueError(f"initialization must be 'zeros', 'random' or 'he', got {initialization!r}")

    for i in range(0, num_iterations):
        a3, cache = forward_propagation(X, parameters)
        cost = compute_loss(a3, Y)
        grads = backward_propagation(X, Y, cache)
        parameters = update_parameters(parameters, grads, learning_rate)
        if i % 1000 == 0:
            if print_cost:
                print("Cost after iteration {}: {}".format(i, cost))
            costs.append(cost)

    if plot:
        plt.plot(costs)
        plt.ylabel('cost')
        plt.xlabel('iterations (per thousands)')
        plt.title("Learning rate =" + str(learning_rate))
        plt.show()
    return (parameters, costs) if return_costs else parameters

"""The seed's 15,000-step He experiment, timed with the seed's own loop and with
course_utils.train: the same work (full batch, the cost at every step) from the same
starting parameters, checked to reach the same accuracy. Reports medians and the ratio.

Also times fused_loop.py, this one network written out by hand in plain numpy: how fast
numpy can run the experiment at all. At these sizes (10 x 300 activations) each numpy call
costs a few microseconds whatever it computes, so a step's time is about its number of
calls; the fused loop makes the fewest we could, and its ratio to the seed bounds what any
general loop (course_utils.train) can reach without a compiler."""

from __future__ import annotations

import statistics
import time

import course_utils as cu
from fused_loop import fused_train
from seed_loop import seed_accuracy, seed_train

STEPS = 15_000


def he_params():
    """The seed's He initialization (np.random.seed(3)), as the seed draws it."""
    return cu.init_utils.initialize_parameters_he([2, 10, 5, 1])


def run(repeats: int = 7) -> dict:
    X, Y, X_test, Y_test = cu.datasets.load_circles()
    spec = cu.Spec((2, 10, 5, 1), activation="relu", output="sigmoid")
    seed_times, lib_times, fused_times = [], [], []
    for _ in range(repeats):  # interleaved, so a slow moment of the machine hits all three
        start = time.perf_counter()
        seed_params, seed_costs = seed_train(X, Y, he_params(), 0.01, STEPS)
        seed_times.append(time.perf_counter() - start)

        start = time.perf_counter()
        hist = cu.train(spec, he_params(), X, Y, cu.optimizers.sgd(0.01), steps=STEPS,
                        progress=False)
        lib_times.append(time.perf_counter() - start)

        start = time.perf_counter()
        fused_params, fused_costs = fused_train(X, Y, he_params(), 0.01, STEPS)
        fused_times.append(time.perf_counter() - start)

    seed_acc = (seed_accuracy(X, Y, seed_params), seed_accuracy(X_test, Y_test, seed_params))
    lib_acc = (cu.accuracy(spec, hist.params, X, Y), cu.accuracy(spec, hist.params, X_test, Y_test))
    fused_acc = (seed_accuracy(X, Y, fused_params), seed_accuracy(X_test, Y_test, fused_params))
    if not (seed_acc == lib_acc == fused_acc) or not (len(hist.costs) == len(seed_costs) == len(fused_costs)):
        raise RuntimeError(f"not the same work: seed {seed_acc}, course_utils {lib_acc}, "
                           f"fused {fused_acc}")
    seed_median, lib_median = statistics.median(seed_times), statistics.median(lib_times)
    fused_median = statistics.median(fused_times)
    return {
        "seed_s": seed_median, "course_utils_s": lib_median, "fused_s": fused_median,
        "speedup": seed_median / lib_median, "fused_speedup": seed_median / fused_median,
        "accuracy": lib_acc,
        "final_cost": (float(seed_costs[-1]), hist.final_cost),
    }


def report(result: dict) -> str:
    return (f"seed experiment, {STEPS:,} full-batch steps (He, cost every step), median of runs:\n"
            f"  seed loop     {result['seed_s']:.3f} s\n"
            f"  course_utils  {result['course_utils_s']:.3f} s\n"
            f"  speed-up      {result['speedup']:.2f}x  (same accuracy: train "
            f"{result['accuracy'][0]:.4f}, test {result['accuracy'][1]:.2f})\n"
            f"  fused numpy   {result['fused_s']:.3f} s  = {result['fused_speedup']:.2f}x the seed "
            "loop: this network written out by hand, the fewest numpy calls we could (the "
            "ceiling without a compiler; target 2x)")


if __name__ == "__main__":
    print(report(run()))

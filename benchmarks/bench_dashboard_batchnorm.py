"""Latency of the 06_batch_normalization dashboard (targets: cached move <= 100 ms; a move
that trains shows its first frame within 200 ms and its last within 1 s). Wall-clock times,
and the same moves in CPU time of this process (kinds "... (cpu)"), closer to a quiet
machine when the benchmark shares the CPU with other jobs."""

import course_utils as cu
from bench_dashboard_optimizers import measure_cpu
from dashboard_latency import measure, report

MOVES = [{"batch_norm": False}, {"batch_norm": True}, {"scale": 1e-3}, {"scale": 1.0},
         {"batch_norm": False}, {"scale": 0.01}, {"lr": 1.0}, {"batch_norm": True},
         {"activation": "sigmoid"}, {"batch_norm": False}, {"activation": "tanh"},
         {"batch_size": 4}, {"batch_norm": True}, {"batch_size": 128}, {"lr": 0.1},
         {"activation": "relu"}]


def run():
    return {**measure(cu.widgets.batchnorm_dashboard, MOVES),
            **measure_cpu(cu.widgets.batchnorm_dashboard, MOVES)}


if __name__ == "__main__":
    print(report("Batch-normalization", run()))

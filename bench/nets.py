"""What the harness measures: issue 6's nets (bench/models/*.nn) and the GEMM-alone sizes, shared
by run_bench.py (which runs them) and report.py (whose acceptance rows name them)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))


class Net:
    def __init__(self, dims, batch, loss, model):
        self.dims, self.batch, self.loss = dims, batch, loss
        self.model = os.path.join(HERE, "models", model)
        self.name = "-".join(map(str, dims))
        self.weights = sum(a * b for a, b in zip(dims[:-1], dims[1:]))
        self.flop = 6 * batch * self.weights  # per train step: 2 B W forward, 4 B W backward


NETS = [
    Net([3, 10, 1], 32, "mse", "mlp_3_10_1.nn"),
    Net([64, 128, 10], 128, "ce", "mlp_64_128_10.nn"),
    Net([784, 256, 256, 10], 128, "ce", "mlp_784_256_256_10.nn"),
    Net([784, 1024, 1024, 10], 256, "ce", "mlp_784_1024_1024_10.nn"),
]
LARGEST = "784-1024-1024-10"
GEMM_SIZES = [128, 256, 512, 1024]
THREADS = [1, 2]
COMPILE_TARGET_MS = 150.0

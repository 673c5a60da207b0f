"""What the harness measures: issue 6's nets (bench/models/*.nn), the GEMM-alone sizes and issue
14's mnist convnet, shared by run_bench.py and cnn_bench.py (which run them) and report.py and
report_cnn.py (whose acceptance rows name them)."""
import os

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


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

# Issue 14: the mnist convnet (examples/mnist_cnn.nn; peers.py --cnn mnist and dnnl_cnn.c build
# the same net). An epoch of mnist_10k.train.csv's 8000 rows at batch 128 is 62 full steps and
# a last one of 64 rows.
CNN_MODEL = os.path.join(REPO, "examples", "mnist_cnn.nn")
CNN_BATCH = 128
CNN_TRAIN_ROWS = 8000
CNN_FULL_STEPS, CNN_LAST_BATCH = divmod(CNN_TRAIN_ROWS, CNN_BATCH)
CNN_INFER_BATCHES = [128, 1000]  # --quick: the first only


class Conv:
    """One of the net's convolutions: x[n,c,h,w] * w[f,c,kh,kw], stride 1, pad zeros each side."""

    def __init__(self, name, n, c, h, w, f, kh, kw, pad):
        self.name, self.dims = name, (n, c, h, w, f, kh, kw, pad)
        self.arg = ",".join(map(str, self.dims))
        oh, ow = h + 2 * pad - kh + 1, w + 2 * pad - kw + 1
        self.x, self.w, self.y = [n, c, h, w], [f, c, kh, kw], [n, f, oh, ow]
        self.flop = 2.0 * n * f * oh * ow * c * kh * kw  # each of the three passes


CNN_CONVS = [Conv("conv1", CNN_BATCH, 1, 28, 28, 32, 3, 3, 0),
             Conv("conv2", CNN_BATCH, 32, 13, 13, 64, 3, 3, 0)]
CONV_PASSES = ["forward", "backward_data", "backward_weights"]
# Forward FLOP per image: the two convolutions and the dense layer (pooling, ReLU not counted).
CNN_FLOP_PER_ROW = sum(c.flop / CNN_BATCH for c in CNN_CONVS) + 2.0 * 1600 * 10
CNN_EPOCH_BAR = 1 / 3       # nnc's epoch <= 1/3 of PyTorch's
CNN_CONV_BAR = 0.8          # nnc's GFLOP/s >= 0.8 x oneDNN's, each pass
CNN_INFER_BAR = 0.9         # nnc's inference speed >= 0.9 x oneDNN's
CNN_COMPILE_TARGET_MS = 400.0

"""A synthetic classification CSV for the threading tests: `rows` rows of
`features` normal(0, 1) features and a class label (argmax of a fixed random
linear map of the features, 10 classes). Deterministic for a given seed."""
import random
import sys

rows, features, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(seed)
w = [[rng.gauss(0, 1) for _ in range(10)] for _ in range(features)]
print(",".join(["label"] + [f"f{i}" for i in range(features)]))
for _ in range(rows):
    x = [rng.gauss(0, 1) for _ in range(features)]
    scores = [sum(x[i] * w[i][c] for i in range(features)) for c in range(10)]
    print(",".join([str(scores.index(max(scores)))] + [f"{v:.5f}" for v in x]))

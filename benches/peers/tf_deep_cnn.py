# The `deep` network in TensorFlow, for `mnist-tui`'s speed comparison (issue: performance).
# Derived from the shared peer script tf_seed_cnn.py with only the model replaced; run it the
# same way:  python benches/peers/tf_deep_cnn.py --epochs 1 --threads 2 --mnist DIR
#!/usr/bin/env python3
"""Peer benchmark: TensorFlow 2 / Keras version of the classic TF1 mnist_cnn.py.

Model: conv3x3x32 (no bias, N(0,0.01)) -> ReLU -> maxpool 2x2 SAME
       conv3x3x64 (no bias, N(0,0.01)) -> ReLU -> maxpool 2x2 SAME
       flatten 3136 -> dense 10 (glorot-uniform W, bias ~ N(0,1))
       softmax cross-entropy on logits, Adam(lr=1e-3, eps=1e-8), batch 100,
       600 shuffled batches per epoch (60000 images), test on 10000.

Usage: tf_seed_cnn.py [--epochs N] [--threads T] [--mnist DIR]
Only the per-epoch training loop is timed (data loading and test evaluation
are excluded). Test-set inference throughput (batch 1000) is timed separately.
"""
import argparse
import json
import os
import random
import resource
import struct
import sys
import time

SEED = 777


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mnist", default="../shared/mnist", help="folder with the four MNIST IDX files, raw or .gz")
    p.add_argument("--max-batches", type=int, default=None, help="smoke-test only: cap batches per epoch")
    return p.parse_args()


def read_idx(path, magic_expected):
    import numpy as np
    import gzip
    if not os.path.exists(path) and os.path.exists(path + ".gz"):
        path = path + ".gz"
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic != magic_expected:
        raise ValueError(f"{path}: bad magic 0x{magic:08x}, want 0x{magic_expected:08x}")
    ndim = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndim, data[4:4 + 4 * ndim])
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def cpu_snapshot():
    """(wall, system-wide busy CPU seconds, this process's CPU seconds).

    Used to estimate how much CPU *other* processes took during an epoch, so
    that timings disturbed by concurrent work on this shared machine can be
    recognised (other_cpu_frac ~ 0 means the epoch ran undisturbed)."""
    try:
        with open("/proc/stat") as f:
            vals = [int(v) for v in f.readline().split()[1:]]
        idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
        busy = (sum(vals[:8]) - idle) / os.sysconf("SC_CLK_TCK")
    except Exception:
        busy = float("nan")
    t = os.times()
    return time.perf_counter(), busy, t.user + t.system


def other_cpu_frac(a, b):
    wall = b[0] - a[0]
    other = (b[1] - a[1]) - (b[2] - a[2])
    return max(0.0, other / (wall * (os.cpu_count() or 1)))


def load_mnist(d):
    import numpy as np
    xtr = read_idx(os.path.join(d, "train-images-idx3-ubyte"), 0x00000803)
    ytr = read_idx(os.path.join(d, "train-labels-idx1-ubyte"), 0x00000801)
    xte = read_idx(os.path.join(d, "t10k-images-idx3-ubyte"), 0x00000803)
    yte = read_idx(os.path.join(d, "t10k-labels-idx1-ubyte"), 0x00000801)
    prep = lambda x: (x.astype(np.float32) / 255.0).reshape(-1, 28, 28, 1)  # NHWC
    return prep(xtr), ytr.astype(np.int64), prep(xte), yte.astype(np.int64)


def main():
    args = parse_args()
    random.seed(SEED)
    import numpy as np
    np.random.seed(SEED)
    import tensorflow as tf

    # Thread settings must happen before any op runs.
    tf.config.threading.set_intra_op_parallelism_threads(args.threads)
    tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    tf.keras.utils.set_random_seed(SEED)  # python, numpy and tf seeds

    try:
        from tensorflow.python.util import _pywrap_util_port
        onednn_built = bool(_pywrap_util_port.IsMklEnabled())
    except Exception:  # pragma: no cover
        onednn_built = None
    onednn_env = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "unset(default on for x86 Linux)")

    xtr, ytr, xte, yte = load_mnist(args.mnist)
    n_train = xtr.shape[0]
    batch = 100
    total_batch = n_train // batch  # 600
    if args.max_batches:
        total_batch = min(total_batch, args.max_batches)

    L = tf.keras.layers
    init_conv = tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.01, seed=SEED)
    # The tutorial's deep variant (mnist_cnn deep): three conv blocks with dropout
    # (keep 0.7), dense 625 + ReLU + dropout, dense 10.
    def conv(filters, seed):
        return L.Conv2D(filters, 3, strides=1, padding="same", use_bias=False,
                        kernel_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=0.01, seed=seed))
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(28, 28, 1)),
        conv(32, SEED), L.ReLU(), L.MaxPooling2D(pool_size=2, strides=2, padding="same"), L.Dropout(0.3),
        conv(64, SEED + 1), L.ReLU(), L.MaxPooling2D(pool_size=2, strides=2, padding="same"), L.Dropout(0.3),
        conv(128, SEED + 2), L.ReLU(), L.MaxPooling2D(pool_size=2, strides=2, padding="same"), L.Dropout(0.3),
        L.Flatten(),
        L.Dense(625, activation="relu",
                kernel_initializer=tf.keras.initializers.GlorotUniform(seed=SEED + 3),
                bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0, seed=SEED + 4)),
        L.Dropout(0.3),
        L.Dense(10,
                kernel_initializer=tf.keras.initializers.GlorotUniform(seed=SEED + 5),
                bias_initializer=tf.keras.initializers.RandomNormal(mean=0.0, stddev=1.0, seed=SEED + 6)),
    ])
    # TF1 AdamOptimizer defaults: beta1=0.9, beta2=0.999, epsilon=1e-8.
    opt = tf.keras.optimizers.Adam(learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8)
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function
    def train_step(x, y):
        with tf.GradientTape() as tape:
            logits = model(x, training=True)
            loss = loss_fn(y, logits)
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables))
        return loss

    @tf.function
    def predict_step(x):
        return tf.argmax(model(x, training=False), axis=1)

    xtr_t = tf.constant(xtr)
    ytr_t = tf.constant(ytr)
    xte_t = tf.constant(xte)
    rng = np.random.RandomState(SEED)

    epoch_times, epoch_costs, epoch_other = [], [], []
    for epoch in range(args.epochs):
        snap0 = cpu_snapshot()
        t0 = time.perf_counter()
        perm = tf.constant(rng.permutation(n_train))
        avg_cost = 0.0
        for i in range(total_batch):
            idx = perm[i * batch:(i + 1) * batch]
            c = train_step(tf.gather(xtr_t, idx), tf.gather(ytr_t, idx))
            avg_cost += float(c) / total_batch
        dt = time.perf_counter() - t0
        epoch_other.append(other_cpu_frac(snap0, cpu_snapshot()))
        epoch_times.append(dt)
        epoch_costs.append(avg_cost)
        print(f"Epoch: {epoch + 1:04d} cost = {avg_cost:.9f} time_s = {dt:.2f} "
              f"samples_per_s = {total_batch * batch / dt:.0f}", flush=True)

    def run_test():
        preds = [predict_step(xte_t[i:i + 1000]).numpy() for i in range(0, xte.shape[0], 1000)]
        return np.concatenate(preds)

    preds = run_test()  # also warms up the inference graph
    acc = float((preds == yte).mean())
    print(f"Accuracy: {acc:.4f}", flush=True)
    infer_times = []
    snap0 = cpu_snapshot()
    for _ in range(3):
        t0 = time.perf_counter()
        run_test()
        infer_times.append(time.perf_counter() - t0)
    infer_other = other_cpu_frac(snap0, cpu_snapshot())
    infer_ips = xte.shape[0] / float(np.median(infer_times))

    med = float(np.median(epoch_times))
    out = {
        "framework": "tensorflow-cpu (tf.keras + tf.function custom loop)",
        "version": tf.__version__,
        "keras_version": tf.keras.__version__ if hasattr(tf.keras, "__version__") else None,
        "threads": args.threads,
        "epochs": args.epochs,
        "batches_per_epoch": total_batch,
        "sec_per_epoch": [round(t, 3) for t in epoch_times],
        "sec_per_epoch_median": round(med, 3),
        "samples_per_s_median": round(total_batch * batch / med, 1),
        "epoch_costs": [round(c, 9) for c in epoch_costs],
        "other_cpu_frac_per_epoch": [round(x, 3) for x in epoch_other],
        "test_accuracy": acc,
        "infer_images_per_s": round(infer_ips, 1),
        "infer_batch": 1000,
        "other_cpu_frac_infer": round(infer_other, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1),
        "onednn_built": onednn_built,
        "TF_ENABLE_ONEDNN_OPTS": onednn_env,
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()

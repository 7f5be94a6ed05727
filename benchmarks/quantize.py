"""int8 vs float32 ONNX for an MLP: size, batch-1 and batch-1,024 latency, accuracy change.

A scikit-learn MLP (two hidden layers of 256, scaled inputs, 64 features from
``make_classification`` with a fixed seed) is registered in a temporary project (its ONNX
twin passes parity), then ``mlmom registry optimize 1 --quantize int8`` judges the int8
variant on 2,000 labelled held-out rows, each row alone. Latencies are medians of one
ONNX Runtime session with one thread (as a serving worker runs it): 200 runs at batch 1, 20
at batch 1,024, float and int8 measured in the same run. Quote ratios: these machines are
noisy.

    python benchmarks/quantize.py [--json results.json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def setup(root: Path) -> None:
    import nbformat
    import numpy as np
    import pandas as pd
    from sklearn.datasets import make_classification
    from sklearn.neural_network import MLPClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from mlmom_lab.project import load_project
    from mlmom_lab.registration import register_model

    # a project of one no-op stage: the model is registered by hand
    nbformat.write(nbformat.v4.new_notebook(), root / "noop.ipynb")
    (root / "mlmom.yaml").write_text(
        "project: mlp\nmodel: mlp\nstages:\n  noop:\n    notebook: noop.ipynb\n"
    )
    X, y = make_classification(12_000, 64, n_informative=32, random_state=0)
    frame = pd.DataFrame(X.astype(np.float32), columns=[f"x{i}" for i in range(64)])
    train, held = frame.iloc[:10_000], frame.iloc[10_000:]
    net = make_pipeline(StandardScaler(), MLPClassifier((256, 256), max_iter=40, random_state=0))
    net.fit(train, y[:10_000])
    register_model(net, held.head(5), held_out=held, held_out_target=y[10_000:],
                   reference=train.head(1000), project=load_project(root))  # fmt: skip
    held.assign(label=y[10_000:]).to_parquet(root / "held.parquet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        setup(root)
        done = subprocess.run(
            [str(Path(sys.executable).with_name("mlmom")), "registry", "optimize", "1",
             "--quantize", "int8", "--data", "held.parquet", "--target", "label", "--json"],
            cwd=root, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode not in (0, 1):
        raise SystemExit(done.stderr)
    v = json.loads(done.stdout)
    print(f"{'':18} {'float32':>10} {'int8':>10} {'ratio':>7}")
    print(f"{'size KiB':18} {v['float_size_bytes'] / 1024:10.0f} {v['size_bytes'] / 1024:10.0f} "
          f"{v['float_size_bytes'] / v['size_bytes']:6.2f}x")  # fmt: skip
    for size in ("1", "1024"):
        was, now = v["float_ms"][size], v["ms"][size]
        print(f"{'batch ' + size + ' ms':18} {was:10.3f} {now:10.3f} {was / now:6.2f}x")
    print(f"{v['metric'] + ' (' + str(v['rows']) + ' rows)':18} {v['float_value']:10.4f} "
          f"{v['value']:10.4f}  loss {v['loss']:.4f}, kept: {v['kept']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(v, indent=1))


if __name__ == "__main__":
    main()

"""One image through each shipped model, as the API does it: median milliseconds.

The ensemble runs as one grouped network (model_core.nn.compiled), on one thread or with its
members split across two (`Model.threads`, MODEL_CORE_THREADS in the API). For
reference, the same networks one after another through the layer-by-layer training path.
A model trained on deskewed digits deskews its input first in every column (~0.1 ms).

    OPENBLAS_NUM_THREADS=1 python benchmarks/inference_latency.py [--repeats 300] [--record] [--models characters]
"""

from __future__ import annotations

import argparse
from datetime import date

import numpy as np
from timing import median_ms  # benchmarks/timing.py

from model_core import available_models, load_model
from model_core.data.datasets import load_mnist
from model_core.imaging.preprocess import deskew
from model_core.nn.losses import softmax
from model_core.saved import resolve, save_card


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--record", action="store_true", help="write each model's one-image time into its card")
    parser.add_argument("--models", nargs="+", default=None, help="these shipped models only (default: all)")
    args = parser.parse_args()
    image = load_mnist("test").images[:1].astype(np.float32) / 255
    print("| model | networks | layer by layer, ms | grouped, 1 thread, ms | grouped, 2 threads, ms |")
    print("|---|---|---|---|---|")
    for name in args.models or available_models():
        model = load_model(name)

        def layer_by_layer_once(m=model):
            x = deskew(image) if m.deskews else image  # what predict_proba does first, too
            return sum(softmax(n.forward(x)) for n in m.members)

        layer_by_layer = median_ms(layer_by_layer_once, args.repeats)
        timings = []
        for threads in (1, 2):
            model.threads = threads
            timings.append(median_ms(lambda m=model: m.scores(image), args.repeats))
        print(f"| {name} | {len(model.members)} | {layer_by_layer:.2f} | {timings[0]:.2f} | {timings[1]:.2f} |")
        if args.record:  # what model-info reports: one thread, as the API's workers run
            model.card["speed"] = {"one_image_ms": round(timings[0], 3), "threads": 1, "measured": str(date.today())}
            save_card(model, resolve(name))


if __name__ == "__main__":
    main()

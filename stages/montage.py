"""Stage `montage`: plots/synthetic_samples.png, synthetic slices per subtype, bleeds outlined.

It reads nothing outside the repository; `python -m ich montage --fixtures DIR` draws the same
picture with a column of real RSNA slices beside it.
"""

from __future__ import annotations

import pandas as pd

from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.synthetic.cohort import plan, spec_from_params
from ich.synthetic.montage import draw


def main() -> None:
    spec, _ = spec_from_params(params.load())
    truth = pd.read_csv(paths.SYNTHETIC / "truth.csv")
    draw(plan(spec), truth, paths.SYNTHETIC, None, paths.SYNTHETIC_SAMPLES)


if __name__ == "__main__":
    run(main)

"""Stage `montage`: plots/synthetic_samples.png, synthetic slices per subtype, bleeds outlined.

It reads nothing outside the repository; `python -m ich montage --fixtures DIR` draws the same
picture with a column of real RSNA slices beside it.
"""

from __future__ import annotations

import pandas as pd

from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.synthetic.cohort import SynthesizeSpec, plan
from ich.synthetic.montage import draw


def main() -> None:
    spec = params.section(params.load(), "synthesize", SynthesizeSpec)
    truth = pd.read_csv(paths.SYNTHETIC / "truth.csv")
    draw(plan(spec.cohort()), truth, paths.SYNTHETIC, None, paths.SYNTHETIC_SAMPLES)


if __name__ == "__main__":
    run(main)

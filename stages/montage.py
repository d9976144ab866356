"""Stage `montage`: plots/source_samples.png, a first look at the labelled data. The phantom:
synthetic slices per subtype with their bleeds outlined; real data: labelled slices per subtype
(of those `decode` could read).

`python -m ich montage --fixtures DIR` draws the phantom's picture with a column of real RSNA
slices beside it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ich.data.montage import draw_labelled
from ich.data.source import DataSpec
from ich.pipeline import params, paths
from ich.pipeline.stage import run
from ich.synthetic.cohort import SynthesizeSpec, plan
from ich.synthetic.montage import draw


def main() -> None:
    p = params.load()
    data = params.section(p, "data", DataSpec)
    if data.phantom:
        spec = params.section(p, "synthesize", SynthesizeSpec)
        truth = pd.read_csv(paths.SOURCE / "truth.csv")
        draw(plan(spec.cohort()), truth, paths.SOURCE, None, paths.SOURCE_SAMPLES)
    else:
        title = f"data.source {data.source}"
        labels = pd.read_csv(paths.LABELS)
        decoded = pd.read_csv(paths.INDEX, usecols=["ID"])["ID"]  # unreadable files left out
        labels = labels[labels["ID"].isin(decoded)]
        draw_labelled(labels, Path(data.dicom_dir), paths.SOURCE_SAMPLES, title)


if __name__ == "__main__":
    run(main)

"""The recipe levers measured on real CT by cross-validation (`python -m ich levers`): each is
a set of params changes on top of the workspace's params.yaml (or a `python -m ich kfold`
option), cross-validated on the same patients, folds and seeds, and paired with `base`."""

from __future__ import annotations

ALL = ["sample.positive_ratio=null"]  # every training image, none discarded
GEOMETRY = ["train.augment.rotation=0.05", "train.augment.shift=0.05", "train.augment.zoom=0.1"]

LEVERS: dict[str, list[str]] = {
    "base": [],  # the phantom-chosen default: negatives discarded to a 0.25 positive ratio
    "all": ALL,
    "geometry": GEOMETRY,  # rotation, shift and zoom on the chosen (base) recipe
    "crop": ["extract.crop=head"],  # each slice cut to its head first
    "res256": ["extract.resolution=256"],  # 256 px images (windowed at 256 as the base)
    "brain": ["extract.crop=brain"],  # the skull and scalp made air, cut to the brain
    # a fourth channel: the acute-blood window (50-90 HU), what the density baseline counts
    "blood_window": ["extract.windows=[[40,80],[80,200],[600,2800],[70,40]]"],
    "fold_ensemble": ["--fold-ensemble"],  # each fold scored by an ensemble of inner fold models
    # no network: the density baseline on the HU features, and the same regression with base's
    # out-of-fold CNN logits as inputs (ich/cv/features.py)
    "density": ["--features-model=density"],
    "hybrid": ["--features-model=hybrid", "--stack-on={out}/base.csv.gz"],
    "all_geometry": [*ALL, *GEOMETRY],
    "all_intensity": [*ALL, "train.augment.intensity=0.1"],
    "all_geometry_intensity": [*ALL, *GEOMETRY, "train.augment.intensity=0.1"],
    "all_epochs20": [*ALL, "train.epochs=20"],
    "all_res64": [*ALL, "extract.resolution=64"],
    "all_init_phantom": [*ALL, "train.init={workspace}/phantom.keras"],
    "all_wide": [*ALL, "train.cnn.filters=[32,64,128,256]"],
    "all_context": [*ALL, "train.context=true"],
    "all_lr3e-3": [*ALL, "train.learning_rate=0.003"],
    "all_no_early_stop": [*ALL, "train.patience=0"],
    "all_focal2": [*ALL, "train.focal_gamma=2"],
    "all_dropout5": [*ALL, "train.dropout=[0.5,0.2]"],
    "all_geometry_intensity_epochs20": [
        *ALL,
        *GEOMETRY,
        "train.augment.intensity=0.1",
        "train.epochs=20",
    ],
}

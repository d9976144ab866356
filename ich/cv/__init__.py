"""Patient-grouped cross-validation of whole recipes on one labelled dataset: how a recipe is
chosen on real CT. Folds come from `ich.data.splits.patient_folds` (the one fold assignment);
split (a fold's training, validation and test patients), fit (a recipe's models per fold),
features (recipes on the HU features), oof (pooled out-of-fold predictions and their scores),
run (a recipe, seed by seed, on a workspace), compare (paired tables), levers, final (a recipe
fit on every patient, for a bundle)."""

from pathlib import Path

DEFAULT_OUT = Path("reports/kfold")  # where `kfold` and `levers` write, unless told

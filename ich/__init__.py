"""Intracranial hemorrhage detection on head CT: the library behind the DVC stages.

dicom/      reading and writing RSNA DICOM slices (fast reader, quirks, rejection reasons)
synthetic/  the embedded synthetic dataset in the RSNA layout (phantom, cohort, montage)
data/       labels, DICOM manifest, extraction to arrays, splits, model inputs
model/      networks, loss, training, saving, saliency
eval/       metrics, baselines, holdout evaluation, plots, experiment comparison
pipeline/   what the DVC stages share: params, paths, the stage runner, code dependencies
cli/        `python -m ich ...`: predict, compare, summary, manifest, montage, deps
"""

import os

# Keras 3 on TensorFlow by default; KERAS_BACKEND=jax or torch also work (models use keras.ops).
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter hides our logs

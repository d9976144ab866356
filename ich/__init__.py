"""Intracranial hemorrhage detection on head CT: the library behind the DVC stages."""

import os

# Keras 3 on TensorFlow by default; KERAS_BACKEND=jax or torch also work (models use keras.ops).
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow's start-up chatter hides our logs

# The RSNA 2019 label order: five subtypes, then `any` (the OR of the five).
SUBTYPES: tuple[str, ...] = (
    "epidural",
    "intraparenchymal",
    "intraventricular",
    "subarachnoid",
    "subdural",
)
LABELS: tuple[str, ...] = (*SUBTYPES, "any")
# Weights of the RSNA weighted multi-label log loss (DOMAIN.md section 4).
RSNA_WEIGHTS: dict[str, float] = {**{s: 1.0 for s in SUBTYPES}, "any": 2.0}
# Short names used in tables.
SHORT: dict[str, str] = {
    "epidural": "EDH",
    "intraparenchymal": "IPH",
    "intraventricular": "IVH",
    "subarachnoid": "SAH",
    "subdural": "SDH",
}

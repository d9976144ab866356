"""Keras's backend as params.yaml says (`train.backend`): a first-class choice, so DVC reruns
what it affects and `dvc exp show` tells runs apart (an environment variable is invisible to
both). Keras reads its backend once, when it is first imported: the stages that run Keras call
`use_params_backend()` first thing, before they import anything that imports Keras."""

from __future__ import annotations

import os
import sys

from ich.pipeline import params
from ich.pipeline.stage import run

BACKENDS = ("tensorflow", "jax")


def use(backend: str) -> None:
    """Run Keras on `backend` in this process; an error if Keras already runs on another."""
    if backend not in BACKENDS:
        raise params.ParamError(
            f"params.yaml: train.backend = {backend!r}: must be one of {', '.join(BACKENDS)}"
        )
    keras = sys.modules.get("keras")
    if keras is not None and keras.backend.backend() != backend:
        raise RuntimeError(
            f"Keras was imported on {keras.backend.backend()} before train.backend = "
            f"{backend!r} could take effect"
        )
    os.environ["KERAS_BACKEND"] = backend


def use_params_backend() -> None:
    """`use` the backend params.yaml names (a bad value: one line naming it, and exit)."""
    run(lambda: use(params.get(params.load(), "train.backend")))

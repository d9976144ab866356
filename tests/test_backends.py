"""Backends and precision as params: `train.backend` picks Keras's backend before it loads,
`train.precision` its dtype policy, with probabilities and the loss kept in float32."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from ich.model.losses import WeightedBCE
from ich.model.networks import build
from ich.pipeline.backend import use
from ich.pipeline.params import ParamError
from ich.rsna import LABELS
from tests.conftest import ROOT, train_spec


@pytest.mark.parametrize("backend", ["tensorflow", "jax"])
def test_the_param_picks_the_backend_keras_loads(backend, tmp_path):
    """What a stage does first: read train.backend, then import Keras."""
    (tmp_path / "params.yaml").write_text(f"train:\n  backend: {backend}\n")
    code = (
        "from ich.pipeline.backend import use_params_backend\n"
        "use_params_backend()\n"
        "import keras\n"
        "print(keras.backend.backend())\n"
    )
    env = {"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "KERAS_BACKEND": "torch"}
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-1] == backend, "the param wins over the environment"


def test_a_bad_backend_is_named_and_a_late_choice_refused():
    import keras

    with pytest.raises(ParamError, match=r"train.backend = 'theano': must be one of"):
        use("theano")
    other = "jax" if keras.backend.backend() != "jax" else "tensorflow"
    with pytest.raises(RuntimeError, match="before train.backend"):
        use(other)
    use(keras.backend.backend())  # the running one: nothing to do


def test_mixed_precision_computes_in_16_bits_and_answers_in_32(tmp_path):
    import keras

    from ich.model.training import precision

    keras.utils.set_random_seed(0)
    spec = train_spec(model="cnn", cnn={"filters": [4, 8]})
    with precision("mixed_bfloat16"):
        model = build(spec, (16, 16, 3), np.full(3, 127.5), np.full(3, 255**2 / 12))
    assert keras.mixed_precision.global_policy().name == "float32", "restored after"
    conv = next(layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D))
    assert conv.compute_dtype == "bfloat16" and conv.variable_dtype == "float32"
    model.compile(optimizer="adam", loss=WeightedBCE())
    x = np.random.default_rng(0).integers(0, 255, (8, 16, 16, 3), dtype=np.uint8)
    history = model.fit(x, np.zeros((8, len(LABELS)), np.float32), epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    out = model(x)
    assert keras.backend.standardize_dtype(out.dtype) == "float32"
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", compile=False)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))

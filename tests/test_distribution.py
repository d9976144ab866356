"""`train.distribution: data_parallel`: Keras's DataParallel on JAX over every visible device.
On CPU, `make test` runs this file under JAX with two host devices
(XLA_FLAGS=--xla_force_host_platform_device_count=2)."""

from __future__ import annotations

import numpy as np
import pytest

from ich.pipeline.params import ParamError, section
from tests.conftest import train_spec
from tests.test_resume import data


def test_data_parallel_on_tensorflow_is_a_params_error():
    with pytest.raises(ParamError, match=r"train.distribution = 'data_parallel': needs .*jax"):
        train_spec(backend="tensorflow", distribution="data_parallel")
    spec = train_spec(backend="jax", distribution="data_parallel")
    assert section({"train": spec.model_dump()}, "train", type(spec)) == spec


def two_devices():
    import keras

    if keras.backend.backend() != "jax":
        pytest.skip("data_parallel is JAX's; make test runs this file under JAX as well")
    import jax

    if len(jax.devices()) < 2:
        pytest.skip("needs 2 devices: XLA_FLAGS=--xla_force_host_platform_device_count=2")
    return jax


def test_data_parallel_splits_each_global_batch_and_trains_as_one_device(tmp_path, monkeypatch):
    jax = two_devices()
    from ich.model import training

    shardings = []  # how the labels reach the loss inside the compiled step

    class Watched(training.WeightedBCE):
        def call(self, y_true, y_pred):
            jax.debug.inspect_array_sharding(y_true, callback=shardings.append)
            return super().call(y_true, y_pred)

    monkeypatch.setattr(training, "WeightedBCE", Watched)
    images, split = data(tmp_path)
    runs = {}
    for kind in ("none", "data_parallel"):
        spec = train_spec(
            backend="jax", distribution=kind, cnn={"filters": [4, 8]}, epochs=2, batch_size=16
        )
        shardings.clear()
        model, summary = training.train(
            spec, images, split, split[:80], split[80:], tmp_path / f"{kind}.csv"
        )
        runs[kind] = model, summary, list(shardings)

    model, summary, seen = runs["data_parallel"]
    assert summary["distribution"]["devices"] == 2
    assert seen and all(len(s.device_set) == 2 for s in seen)
    assert all(not s.is_fully_replicated for s in seen), "each device gets half the batch"
    weights = model.trainable_variables[0].value
    assert len(weights.sharding.device_set) == 2 and weights.sharding.is_fully_replicated
    assert runs["none"][1]["epochs_run"] == summary["epochs_run"]
    for a, b in zip(runs["none"][0].get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)  # one global batch, one step

    from ich.model.card import predict_split

    probs = predict_split(model, images, split[:37], None)  # odd batches, after the distributed fit
    np.testing.assert_allclose(
        probs, predict_split(runs["none"][0], images, split[:37], None), atol=1e-4
    )

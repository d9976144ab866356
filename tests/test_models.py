"""Models: the seed's MLP exactly, the CNN, output order, one training step."""

from __future__ import annotations

import numpy as np
import pytest

from ich.model.losses import WeightedBCE
from ich.model.networks import build
from ich.rsna import LABELS
from tests.conftest import train_spec


def test_seed_mlp_parameter_count():
    """SEED.md: 457,289 parameters at 50x50 with 7 outputs (the seed's label set)."""
    import keras

    from ich.model.networks import mlp

    inputs = keras.Input((50, 50, 1))
    spec = train_spec(model="mlp", dropout=[0.3, 0.2])
    assert spec.mlp.widths == (24, 18, 12, 8), "the seed's widths are the default"
    model = keras.Model(inputs, mlp(inputs, spec, 7, np.zeros(2500), np.ones(2500)))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 457_289


@pytest.mark.parametrize("name", ["mlp", "cnn"])
def test_builds_and_trains_a_step(name):
    import keras

    keras.utils.set_random_seed(0)  # unseeded inits made this flaky
    shape = (16, 16, 3)
    spec = train_spec(
        model=name,
        dropout=[0.3, 0.2],
        cnn={"filters": [4, 8]},
        augment={"flip": True, "rotation": 0.05, "shift": 0.05, "zoom": 0.1},
    )
    # The statistics of the uint8 inputs below: unnormalised 0..255 inputs saturate the
    # sigmoids, and a saturated model does not move in one step.
    n = 16 * 16 * 3 if name == "mlp" else 3
    model = build(spec, shape, np.full(n, 127.5), np.full(n, 255**2 / 12))
    model.compile(optimizer="sgd", loss=WeightedBCE())
    x = np.random.default_rng(0).integers(0, 255, (8, *shape), dtype=np.uint8)
    y = np.zeros((8, len(LABELS)), np.float32)
    before = model.predict(x, verbose=0)
    model.fit(x, y, epochs=1, verbose=0)
    after = model.predict(x, verbose=0)
    assert before.shape == (8, 6) and not np.allclose(before, after)
    assert ((after >= 0) & (after <= 1)).all()


def test_augmentation_moves_in_air_before_standardising():
    """Zoom and rotation fill with 0, air in every window, on the bytes (filled after the
    standardisation, the 0 would be the training mean: a grey frame no scan has); off at
    inference."""
    import keras

    from ich.model.networks import augmentation

    spec = train_spec(model="cnn", augment={"flip": False, "rotation": 0.1, "zoom": 0.4})
    inputs = keras.Input((32, 32, 3))
    aug = keras.Model(inputs, augmentation(inputs, spec))
    x = np.full((16, 32, 32, 3), 200.0, np.float32)
    y = np.asarray(aug(x, training=True))
    corners = y[:, [0, 0, -1, -1], [0, -1, 0, -1]]
    assert (corners == 0).any() and y.min() >= 0 and y.max() <= 200.0 + 1e-3
    assert np.array_equal(np.asarray(aug(x, training=False)), x)
    model = build(spec, (32, 32, 3), np.full(3, 100.0), np.full(3, 50.0**2))
    kinds = [type(layer).__name__ for layer in model.layers]
    assert kinds.index("RandomZoom") < kinds.index("Normalization")


def test_weighted_bce_matches_rsna_weights():
    y = np.array([[0, 0, 0, 0, 0, 1]], np.float32)
    p = np.full((1, 6), 0.5, np.float32)
    assert float(WeightedBCE()(y, p)) == pytest.approx(np.log(2), rel=1e-5)
    p2 = np.array([[0.5] * 5 + [0.9]], np.float32)
    expected = (5 * np.log(2) + 2 * -np.log(0.9)) / 7
    assert float(WeightedBCE()(y, p2)) == pytest.approx(expected, rel=1e-5)


def test_saved_model_bytes_are_stable(tmp_path):
    """The same weights saved twice, from two model objects (as two training runs make them),
    give the same file, so DVC's lock is reproducible."""
    import time

    import keras

    from ich.model.saving import save

    paths, models = [tmp_path / "a.keras", tmp_path / "b.keras"], []
    for path in paths:
        keras.backend.clear_session()  # layer names restart, as in a fresh process
        keras.utils.set_random_seed(0)
        spec = train_spec(model="cnn", cnn={"filters": [4]}, augment={"flip": True})
        models.append(build(spec, (8, 8, 1), np.zeros(1), np.ones(1)))  # kept: new addresses
        save(models[-1], path)
        time.sleep(1.1)  # the zip's timestamps have a 2 s resolution, the metadata 1 s
    assert paths[0].read_bytes() == paths[1].read_bytes()
    loaded = keras.saving.load_model(paths[0], compile=False)
    assert loaded.count_params() > 0


def test_focal_loss_down_weights_easy_examples():
    y = np.array([[0, 0, 0, 0, 0, 0]], np.float32)
    easy = np.full((1, 6), 0.05, np.float32)
    hard = np.full((1, 6), 0.6, np.float32)
    plain, focal = WeightedBCE(), WeightedBCE(focal_gamma=2.0)
    assert float(focal(y, easy)) == pytest.approx(float(plain(y, easy)) * 0.05**2, rel=1e-4)
    assert float(focal(y, hard)) / float(plain(y, hard)) > float(focal(y, easy)) / float(
        plain(y, easy)
    )


@pytest.mark.parametrize("name", ["resnet50v2", "efficientnetv2b0", "convnexttiny"])
def test_backbones_build_and_predict_on_small_inputs(name, tmp_path):
    import keras

    keras.utils.set_random_seed(0)
    spec = train_spec(model=name, augment={"flip": False})
    model = build(spec, (32, 32, 3), np.full(3, 100.0), np.full(3, 900.0))
    x = np.random.default_rng(0).integers(0, 255, (2, 32, 32, 3), dtype=np.uint8)
    p = np.asarray(model.predict(x, verbose=0))
    assert p.shape == (2, len(LABELS)) and ((p > 0) & (p < 1)).all()
    if name == "efficientnetv2b0":  # saved by train, loaded by evaluate and predict
        from ich.model.saving import save

        save(model, tmp_path / "model.keras")
        loaded = keras.saving.load_model(tmp_path / "model.keras", compile=False)
        assert np.allclose(np.asarray(loaded.predict(x, verbose=0)), p, atol=1e-6)


def test_backbone_loads_a_local_weights_file(tmp_path):
    """The file a user points train.weights at (here one this test writes) is what the
    backbone starts from; a missing file is refused by name before any work."""
    import keras

    from ich.model.backbones import backbone
    from ich.pipeline.params import ParamError

    keras.utils.set_random_seed(1)
    saved = backbone("efficientnetv2b0", (32, 32, 3), None)
    path = tmp_path / "notop.weights.h5"
    saved.save_weights(path)
    keras.utils.set_random_seed(2)  # another initialisation, which the file must replace
    model = build(
        train_spec(model="efficientnetv2b0", weights=str(path)),
        (32, 32, 3),
        np.zeros(3),
        np.ones(3),
    )
    inner = next(layer for layer in model.layers if isinstance(layer, keras.Model))
    for got, want in zip(inner.get_weights(), saved.get_weights(), strict=True):
        assert np.array_equal(got, want)
    with pytest.raises(ParamError, match=r"train.weights = '.*nowhere.h5': no such file"):
        train_spec(model="efficientnetv2b0", weights=str(tmp_path / "nowhere.h5"))
    with pytest.raises(ValueError, match="at least 32 px"):
        backbone("resnet50v2", (16, 16, 3), None)

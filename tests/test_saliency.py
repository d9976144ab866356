"""Occlusion saliency finds the evidence where the model looks, and nowhere else."""

from __future__ import annotations

import numpy as np


def test_occlusion_map_marks_the_region_the_model_reads():
    import keras

    from ich.model.saliency import occlusion_map

    # A model whose label 2 reads only the pixels of rows 4-7, columns 10-13 (weights set by
    # hand): blanking them lowers p, blanking anything else leaves it.
    inputs = keras.Input((16, 16, 1))
    dense = keras.layers.Dense(6, activation="sigmoid")
    model = keras.Model(inputs, dense(keras.layers.Flatten()(inputs)))
    kernel = np.zeros((16, 16, 6), np.float32)
    kernel[4:8, 10:14, 2] = 0.5
    dense.set_weights([kernel.reshape(256, 6), np.full(6, -2.0, np.float32)])

    heat = occlusion_map(model, np.ones((16, 16, 1), np.float32), label=2, patch=4, stride=2)
    assert heat.shape == (16, 16)
    region = np.zeros((16, 16), bool)
    region[4:8, 10:14] = True
    assert heat[region].min() > 0.1, "every pixel the model reads is marked"
    far = np.ones((16, 16), bool)
    far[1:11, 7:16] = False  # patches that can touch the region reach 3 pixels beyond it
    assert heat[far].max() == 0, "no evidence where the model does not look"

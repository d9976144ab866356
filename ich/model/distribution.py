"""More than one device through Keras's own engine (`train.distribution: data_parallel`).

Keras's `DataParallel` on JAX keeps a copy of the model on every visible device and splits
each global batch across them along its first axis. Across hosts, the user starts one process
per host with Keras's variables set (`KERAS_DISTRIBUTION_JOB_ADDRESSES`,
`KERAS_DISTRIBUTION_NUM_PROCESSES`, `KERAS_DISTRIBUTION_PROCESS_ID`); each process then feeds
its own share of every global batch (`SliceBatches(share=...)`). On TensorFlow Keras's
distribution is a prototype: `TrainSpec` refuses the combination up front.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import keras

from ich.data.inputs import ONE_DEVICE, Share
from ich.pipeline.params import ParamError


@contextmanager
def distributed(kind: str, batch_size: int) -> Iterator[Share]:
    """The distribution `kind` for what is built and fit inside; one device's `Share` for none."""
    if kind == "none":
        yield ONE_DEVICE
        return
    if os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES"):
        keras.distribution.initialize()  # several hosts: jax.distributed, from the variables
    devices = keras.distribution.list_devices()
    if batch_size % len(devices):
        raise ParamError(
            f"params.yaml: train.batch_size = {batch_size}: must divide evenly over the "
            f"{len(devices)} devices of train.distribution = {kind!r}"
        )
    import jax  # the only backend with a distribution here (TrainSpec checks)

    share = Share(jax.process_index(), jax.process_count(), len(devices))
    with keras.distribution.DataParallel(devices=devices).scope():
        yield share

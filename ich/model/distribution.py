"""More than one device through Keras's own engine (`train.distribution: data_parallel`).

Keras's `DataParallel` on JAX keeps a copy of the model on every visible device and splits
each global batch across them along its first axis. Across processes (one per host, or several
on one machine), the user starts `python -m stages.train` in each with Keras's variables set
(`KERAS_DISTRIBUTION_JOB_ADDRESSES`, `KERAS_DISTRIBUTION_NUM_PROCESSES`,
`KERAS_DISTRIBUTION_PROCESS_ID`): they join through JAX's coordination service, each feeds its
own share of every global batch (`SliceBatches(share=...)`, so Keras's auto-sharding of a
tf.data pipeline is off), and process 0 alone writes the stage's files. A process that dies
stops the others within `HEARTBEAT_SECONDS` (JAX's heartbeat), instead of a hang. On
TensorFlow Keras's distribution is a prototype: `TrainSpec` refuses the combination up front.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import keras

from ich.data.inputs import ONE_DEVICE, Share
from ich.errors import InputError
from ich.pipeline.params import ParamError

PROCESS_VARIABLES = (
    "KERAS_DISTRIBUTION_JOB_ADDRESSES",
    "KERAS_DISTRIBUTION_NUM_PROCESSES",
    "KERAS_DISTRIBUTION_PROCESS_ID",
)
HEARTBEAT_SECONDS = 10  # a peer silent this long is dead: the others stop (JAX's default: 100)
# Process 0 may still be writing (card predictions) when the others finish: they wait this long.
SHUTDOWN_SECONDS = 3600


def join_processes() -> None:
    """Join the other processes named by Keras's variables (JAX's coordination service)."""
    import jax

    missing = [v for v in PROCESS_VARIABLES if not os.environ.get(v)]
    if missing:
        raise InputError(f"several processes need every one of {', '.join(missing)} set")
    addresses = os.environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"].split(",")
    processes = int(os.environ["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    process = int(os.environ["KERAS_DISTRIBUTION_PROCESS_ID"])
    if len(addresses) not in (1, processes) or not 0 <= process < processes:
        raise InputError(
            f"KERAS_DISTRIBUTION_JOB_ADDRESSES has {len(addresses)} address(es) and "
            f"KERAS_DISTRIBUTION_PROCESS_ID is {process}, for {processes} processes"
        )
    # Keras's own `keras.distribution.initialize` reads the same variables but keeps JAX's
    # 100 s heartbeat; the seeds are set by the caller, the same in every process.
    jax.distributed.initialize(
        coordinator_address=addresses[0],
        num_processes=processes,
        process_id=process,
        heartbeat_timeout_seconds=HEARTBEAT_SECONDS,
        shutdown_timeout_seconds=SHUTDOWN_SECONDS,
    )
    print(f"train: process {process} of {processes} joined ({addresses[0]})", flush=True)


@contextmanager
def distributed(kind: str, batch_size: int) -> Iterator[Share]:
    """The distribution `kind` for what is built and fit inside; one device's `Share` for none."""
    if kind == "none":
        yield ONE_DEVICE
        return
    if int(os.environ.get("KERAS_DISTRIBUTION_NUM_PROCESSES") or 1) > 1:
        join_processes()
    devices = keras.distribution.list_devices()
    if batch_size % len(devices):
        raise ParamError(
            f"params.yaml: train.batch_size = {batch_size}: must divide evenly over the "
            f"{len(devices)} devices of train.distribution = {kind!r}"
        )
    import jax  # the only backend with a distribution here (TrainSpec checks)

    share = Share(jax.process_index(), jax.process_count(), len(devices))
    # Keras would split a tf.data pipeline itself; our batches are each process's share already.
    auto_shard = share.processes == 1
    with keras.distribution.DataParallel(devices=devices, auto_shard_dataset=auto_shard).scope():
        yield share


def on_this_process(model: keras.Model) -> keras.Model:
    """A trained model's copy on this process's own device, outside any distribution: what the
    writing process saves and predicts with alone (the distributed model's every call would
    need all processes). Its weights are the replicated ones, bit for bit."""
    local = keras.models.clone_model(model)
    local.set_weights(model.get_weights())
    return local

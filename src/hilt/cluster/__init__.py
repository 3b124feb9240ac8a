"""Pools past one machine: a project's features and scoring on a Dask cluster.

Give a project a scheduler (``Project.open(path, scheduler="tcp://host:8786")``, ``--scheduler``
on ``hilt serve`` / ``hilt label`` / ``hilt retrain``, or ``HILT_DASK_SCHEDULER``) and a retrain
works like this:

* the **workers** read the items from the store, partition by partition (row-id ranges of
  :data:`~hilt.cluster.partitions.PARTITION_ITEMS`); fit the featurizer in one distributed
  pass (TF-IDF's word and document counts per partition, merged; embeddings need none); keep
  each partition's feature rows in their memory (published on the scheduler, so a restarted
  server or ``hilt retrain`` finds them); and score their partitions with the model, returning
  only each partition's top candidates;
* the **project's process** fits the classifier on the labelled items' rows (fetched from the
  workers), merges the partitions' top candidates (exact: the pool's top k is among the
  partitions' top k) and writes the ranking to the store, as a local run does. It never holds
  the pool's features.

Uncertainty strategies (``least``, ``margin``, ``ratio``, ``entropy``) rank exactly as a local
run does. Strategies that compare items with each other (``+diverse``, ``+dense``, ``cluster``,
``representative``, ``outlier``, ``committee`` and mixes) run in the project's process on a
candidate pool the workers return: the most uncertain items and as many drawn at random
(:data:`hilt.project.cluster.POOL_PER_QUEUE_ITEM` of each per queued item).

This package holds what the workers run (:mod:`hilt.cluster.partitions`) and how a project
connects (:mod:`hilt.cluster.connect`); the run itself is the project layer's
(:mod:`hilt.project.cluster`).

Dask is an optional dependency: ``pip install 'hilt[dask]'``. Nothing here imports it until a
scheduler is given.
"""

from hilt.cluster.connect import (CONNECT_TIMEOUT_ENV, SCHEDULER_ENV, check_address, connect, is_connected,
                                  scheduler_address)

__all__ = ["CONNECT_TIMEOUT_ENV", "SCHEDULER_ENV", "check_address", "connect", "is_connected", "scheduler_address"]

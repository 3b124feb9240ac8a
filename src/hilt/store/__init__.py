"""The durable store of a labelling project: one SQLite file (SQLAlchemy Core, WAL mode).

Only this layer writes SQL. :class:`Store` holds items, the append-only answers, annotators,
model runs, the ranked queue and the leases; :mod:`hilt.store.schema` the tables, the schema
version and the migrations from older files; :mod:`hilt.store.engine` the connection settings
(durability and locking).
"""

from hilt.store.schema import SCHEMA_VERSION
from hilt.store.store import IMPORT_ANNOTATOR, ItemBatch, ItemRow, Store, utc_now

__all__ = ["IMPORT_ANNOTATOR", "SCHEMA_VERSION", "ItemBatch", "ItemRow", "Store", "utc_now"]

"""The durable store of a labelling project: a SQLite file (SQLAlchemy Core, WAL mode) or a
PostgreSQL database.

Only this layer writes SQL. :class:`Store` holds items, the append-only answers, annotators,
model runs, the ranked queue and the leases; :class:`ProjectLocation` says where the project is
(a file path or a database URL, parsed once); :mod:`hilt.store.schema` the tables, the schema
version and the migrations from older files; :mod:`hilt.store.engine` the connection settings
(durability and locking).
"""

from hilt.store.location import ProjectLocation
from hilt.store.schema import SCHEMA_VERSION
from hilt.store.store import IMPORT_ANNOTATOR, ItemBatch, ItemRow, Store, utc_now

__all__ = ["IMPORT_ANNOTATOR", "SCHEMA_VERSION", "ItemBatch", "ItemRow", "ProjectLocation", "Store", "utc_now"]

"""Read items to label from CSV, TSV, JSON lines, Parquet or a pandas DataFrame.

One path for every input, in chunks, so that an import's memory does not grow with the file:

* :mod:`hilt.importing.readers` reads chunks (CSV/TSV, JSON lines, gzip-compressed too, Parquet
  in batches, a DataFrame as one chunk), each with the file line of every row;
* :mod:`hilt.importing.checks` checks a chunk and says what was expected, what came and where,
  so that a bad file fails here -- never later, inside a model;
* :mod:`hilt.importing.kinds` tells text from table items, label-like and id-like columns
  (on the first chunk), :mod:`hilt.importing.values` turns cells into plain Python values;
* :mod:`hilt.importing.ids` finds ids repeated across chunks;
* :mod:`hilt.importing.stream` puts them together: :class:`ItemStream` (what projects import
  from) and :func:`read_items` (the same, all in memory).
"""

from hilt.importing.checks import ImportedItems, shorten_columns
from hilt.importing.readers import COMPRESSIBLE_SUFFIXES, DEFAULT_CHUNK_ROWS, SUPPORTED_SUFFIXES
from hilt.importing.stream import ItemChunk, ItemStream, read_items

__all__ = ["COMPRESSIBLE_SUFFIXES", "DEFAULT_CHUNK_ROWS", "SUPPORTED_SUFFIXES", "ImportedItems", "ItemChunk",
           "ItemStream", "read_items", "shorten_columns"]

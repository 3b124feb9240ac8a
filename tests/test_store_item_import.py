"""The store's import: every row of a large import is written (SQLite writes them in batches)."""

from __future__ import annotations

from hilt.store import Store

META = {"labels": ["pos", "neg"], "kind": "text"}


def test_an_import_past_one_insert_batch_keeps_every_item(tmp_path, monkeypatch):
    """SQLite writes an import's rows a batch at a time; the row at each batch boundary was lost."""
    import hilt.store.item_import

    monkeypatch.setattr(hilt.store.item_import, "_INSERT_BATCH", 4)
    store = Store.create(tmp_path / "p.hilt", META)
    try:
        store.add_items([f"k{i}" for i in range(10)], [{"text": f"t{i}"} for i in range(10)], eval_share=0.0)
        assert sorted(store.item_keys().values()) == sorted(f"k{i}" for i in range(10))
    finally:
        store.close()

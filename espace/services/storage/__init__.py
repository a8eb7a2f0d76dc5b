"""Private document storage: random keys, nothing half-written ever visible.

Two stores, chosen by the settings: local files under DATA_DIR/documents (the
default, `local.py`), or an S3-compatible object store when S3_BUCKET is set
(`s3.py`). Everything else goes through the functions re-exported here, never
through a path: writing (`pipeline.py`: `save_stream`, `save_chunks`, `save_bytes`,
`restore_object`) and reading, listing, removing (`api.py`: `open_chunks`,
`open_file`, `read_head`, `size`, `exists`, `delete`, `iter_keys`, `iter_entries`,
the leftovers of interrupted uploads). `check.py` is `python -m espace
check-storage`: the stored files against the rows that name them."""
from espace.services.storage.api import (
    app_sweep,
    backend,
    delete,
    describe,
    exists,
    has_room,
    iter_entries,
    iter_keys,
    leftovers,
    open_chunks,
    open_file,
    probe,
    read_head,
    remove_leftovers,
    size,
)
from espace.services.storage.base import (
    CHUNK,
    HEAD,
    Chunks,
    Entry,
    Leftover,
    Missing,
    Stored,
    TooLarge,
    check_key,
    disk_full,
)
from espace.services.storage.pipeline import restore_object, save_bytes, save_chunks, save_stream
from espace.services.storage.s3 import PART, STALE_UPLOAD_SECONDS

__all__ = [
    "CHUNK", "HEAD", "PART", "STALE_UPLOAD_SECONDS",
    "Chunks", "Entry", "Leftover", "Missing", "Stored", "TooLarge",
    "app_sweep", "backend", "check_key", "delete", "describe", "disk_full", "exists", "has_room", "iter_entries",
    "iter_keys", "leftovers", "open_chunks", "open_file", "probe", "read_head", "remove_leftovers",
    "restore_object",
    "save_bytes", "save_chunks", "save_stream", "size",
]

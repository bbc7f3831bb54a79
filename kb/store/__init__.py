"""The SQLite store: sheets, their searchable parts, the French keyword index, the vectors, and
the contributions' and moderators' records. All SQL on these tables lives in this package.

The database is the source of truth; everything else (the FAISS index) is rebuilt from it.
Every write happens in one transaction. The schema carries a version (``PRAGMA user_version``)
and is brought up to date by the migrations in ``schema.py`` when the store opens.

One module per concern (``base``: connection and transactions; ``schema``; ``sheets``; ``parts``
and the keyword index; ``vectors`` and the index log; ``moderation``), gathered in ``Store``.
SQL is written by hand on the standard ``sqlite3`` module: the statements need upserts with
conditions, FTS5 with external row ids, ``json_each`` id lists and covering indexes, which a
table-level helper such as sqlite-utils does not express.
"""

from __future__ import annotations

from kb.store.base import PUBLISHED, StoreError, now
from kb.store.moderation import ContactRequest, Moderation, Submission
from kb.store.parts import Part, passage_hash, passage_text
from kb.store.schema import MIGRATIONS, SCHEMA_VERSION
from kb.store.sheets import Publication, SheetRecord, Sheets, presented_on
from kb.store.vectors import VECTOR_DTYPE, Vectors

__all__ = [
    "MIGRATIONS",
    "PUBLISHED",
    "SCHEMA_VERSION",
    "VECTOR_DTYPE",
    "ContactRequest",
    "Part",
    "Publication",
    "SheetRecord",
    "Store",
    "StoreError",
    "Submission",
    "now",
    "passage_hash",
    "passage_text",
    "presented_on",
]


class Store(Sheets, Vectors, Moderation):
    """Typed access to ``kb.sqlite``; opened once per process or request, closed with ``close``."""

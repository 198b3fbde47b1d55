"""Four costs of Datasette 0.65 that a read-only site need not pay on every request (issue 6).

- Permissions. Before it shows a table, Datasette looks for `allow` blocks in the metadata, and to do
  that it deep-copies the whole metadata (30 kB here: every column's description and every canned
  query) twice per request: a third of the time of a filtered JSON query at 100,000 towns. Our metadata
  is read once at startup and never changes while the process runs, so the answer for a table is the
  same every time: it is looked up once per table and kept. An `allow` block still works as before.
- Reading pages. SQLite keeps 2 MB of pages per connection by default; a search or a sort that touches
  a few thousand rows of the 100,000-town table then copies most pages from the operating system again,
  on every request. Each connection to an immutable database maps the file into memory instead (up to
  MMAP_MIB): pages are read in place, and the worker processes (scripts/douzelage/serve.py) share one copy, the
  operating system's, where a larger page cache would hold one more copy per process.
- Schema versions. Before every view, Datasette reads each database's schema version to see whether its
  tables changed: three queries. An immutable database does not change; its schema is read once.
- Schema questions. A table page or a JSON answer asks its database ten times about columns, keys, the
  full-text table and foreign keys, each a round trip to a SQL thread: an immutable database answers
  each question once per process.
"""

from __future__ import annotations

import copy
import functools

import datasette as datasette_package
from datasette import hookimpl

MMAP_MIB = 4096
KNOWN_TABLES = 4096  # bounds the memo: a name that is no table is asked about once, then forgotten
# The memo wraps a private method of Datasette, so it is made only on the versions it was written and
# tested for (tests/test_site_config.py); on any other the site runs without it, as fast as Datasette is.
MEMO_VERSIONS = ("0.65.",)


def memo_applies(version: str) -> bool:
    return version.startswith(MEMO_VERSIONS)


@hookimpl
def startup(datasette):
    _refresh_schemas_once(datasette)
    _remember_the_schema(datasette)
    lookup = getattr(datasette, "_table_permission_allows", None)
    if lookup is None or not memo_applies(datasette_package.__version__):
        return
    if not isinstance(lookup, functools._lru_cache_wrapper):
        datasette._table_permission_allows = functools.lru_cache(maxsize=KNOWN_TABLES)(lookup)


@hookimpl(tryfirst=True)  # before sql_guard's authorizer, which refuses PRAGMAs that set a value
def prepare_connection(conn, database, datasette):
    db = datasette.databases.get(database)
    if db is not None and not db.is_mutable:
        conn.execute(f"PRAGMA mmap_size = {MMAP_MIB << 20}")


def _refresh_schemas_once(datasette) -> None:
    """Datasette asks every database for its schema version on every request (three queries, each a round
    trip to a SQL thread) to see if a table changed. An immutable database cannot change, so where every
    served database is immutable the schemas are read once per process and not asked for again."""
    if not memo_applies(datasette_package.__version__) or getattr(datasette.refresh_schemas, "once", False):
        return
    if any(db.is_mutable for name, db in datasette.databases.items() if name != "_internal"):
        return
    refresh = datasette.refresh_schemas
    done: list[bool] = []

    async def once():
        if not done:
            await refresh()
            done.append(True)

    once.once = True  # type: ignore[attr-defined]
    datasette.refresh_schemas = once


# What Datasette asks a database about its schema, several times for each table page or JSON answer (a
# filtered JSON query asked ten questions, each a round trip to a SQL thread): the same answer every time
# for an immutable database.
SCHEMA_QUESTIONS = (
    "table_exists",
    "table_names",
    "table_columns",
    "table_column_details",
    "primary_keys",
    "fts_table",
    "label_column_for_table",
    "foreign_keys_for_table",
    "hidden_table_names",
    "view_names",
    "get_all_foreign_keys",
    "get_table_definition",
    "get_view_definition",
)


def _remember_the_schema(datasette) -> None:
    """Each immutable database answers its schema questions once per process; a caller gets its own copy of
    the answer (Datasette changes some of the lists it is given)."""
    if not memo_applies(datasette_package.__version__):
        return
    for name, db in datasette.databases.items():
        if name == "_internal" or db.is_mutable:
            continue
        for question in SCHEMA_QUESTIONS:
            ask = getattr(db, question, None)
            if ask is not None and not getattr(ask, "remembered", False):
                setattr(db, question, _remembered(ask))


def _remembered(ask):
    answers: dict = {}

    async def remembered(*args):
        if args not in answers:
            if len(answers) >= KNOWN_TABLES:  # a name that is no table is asked about once, then forgotten
                answers.clear()
            answers[args] = await ask(*args)
        return copy.deepcopy(answers[args])

    remembered.remembered = True  # type: ignore[attr-defined]
    return remembered

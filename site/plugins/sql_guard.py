"""A second lock on the public SQL box: an SQLite authorizer on every connection to the served database.

Datasette already refuses statements that are not SELECT and opens the file immutable and read-only;
this refuses, inside SQLite itself, whatever a crafted query might still reach: writes, ATTACH/DETACH,
PRAGMAs that set a value, and load_extension(). Reads, including Datasette's own introspection, pass.
It also bounds what one function call can do. The time limit (a progress handler) is only asked between
steps of a statement, so a single call that builds a huge value or loops inside one step, such as
randomblob(2000000000), replace() on a megabyte, instr() of a long needle in a long haystack or
group_concat() over a cross join, runs to its end first. SQLite's own per-connection limits bound them
all (LIMITS: the length of any value, of the SQL text, the depth of an expression, the terms of a
compound select, the length of a LIKE/GLOB pattern, the number of parameters), each far above what the
site's own queries need. One call the limits do not stop: SQLite 3.40's printf()/format() repeats a %c
as often as its precision says (2147483647 times: 30 s), after the value has already grown too big; so
printf and format are replaced by a wrapper that answers a width or precision above the value limit
with a value one byte too long (so SQLite itself says "string or blob too big", as for any other value
over the limit) and otherwise asks SQLite's own printf, on a private in-memory connection.
"""

from __future__ import annotations

import re
import sqlite3

from datasette import hookimpl

DENIED_ACTIONS = {
    sqlite3.SQLITE_ATTACH,
    sqlite3.SQLITE_DETACH,
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_UPDATE,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_ALTER_TABLE,
    sqlite3.SQLITE_DROP_TABLE,
    sqlite3.SQLITE_DROP_VIEW,
    sqlite3.SQLITE_DROP_INDEX,
    sqlite3.SQLITE_DROP_TRIGGER,
    sqlite3.SQLITE_CREATE_TABLE,
    sqlite3.SQLITE_CREATE_VIEW,
    sqlite3.SQLITE_CREATE_INDEX,
    sqlite3.SQLITE_CREATE_TRIGGER,
    sqlite3.SQLITE_CREATE_VTABLE,
    sqlite3.SQLITE_DROP_VTABLE,
    sqlite3.SQLITE_CREATE_TEMP_TABLE,
    sqlite3.SQLITE_CREATE_TEMP_VIEW,
    sqlite3.SQLITE_CREATE_TEMP_INDEX,
    sqlite3.SQLITE_CREATE_TEMP_TRIGGER,
    sqlite3.SQLITE_DROP_TEMP_TABLE,
    sqlite3.SQLITE_DROP_TEMP_VIEW,
    sqlite3.SQLITE_DROP_TEMP_INDEX,
    sqlite3.SQLITE_DROP_TEMP_TRIGGER,
}
MAX_VALUE_BYTES = 100_000  # far above any value in the database or a page (the longest is a few kB);
# instr() of a 50 kB needle in a 100 kB haystack, the slowest single call it allows, takes 0.2 s
LIMITS = {
    sqlite3.SQLITE_LIMIT_LENGTH: MAX_VALUE_BYTES,
    sqlite3.SQLITE_LIMIT_SQL_LENGTH: 100_000,
    sqlite3.SQLITE_LIMIT_EXPR_DEPTH: 250,
    sqlite3.SQLITE_LIMIT_COMPOUND_SELECT: 50,
    sqlite3.SQLITE_LIMIT_LIKE_PATTERN_LENGTH: 500,
    # Datasette's `_labels=on` binds one variable per distinct key of a page, up to max_returned_rows
    # (1,000, site/site.yaml): at 250 the towns map (datasette-cluster-map's pages of 1,000) failed.
    sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER: 1_100,
    sqlite3.SQLITE_LIMIT_FUNCTION_ARG: 100,
    sqlite3.SQLITE_LIMIT_ATTACHED: 0,
}
# a printf conversion: flags, width, precision (either may be * = taken from the next argument), type
_CONVERSION = re.compile(r"%[-+ 0#,!]*(\*|\d+)?(?:\.(\*|\d*))?(.)", re.DOTALL)
DENIED_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
# PRAGMAs whose argument is a table or index name, not a new value: reading, so allowed.
PRAGMAS_WITH_NAME_ARGUMENT = {
    "table_info",
    "table_xinfo",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "foreign_key_check",
    "integrity_check",
    "quick_check",
}


def authorizer(action, arg1, arg2, db_name, trigger):
    if action == sqlite3.SQLITE_UPDATE and arg1 == "sqlite_master":
        # FTS5 asks this while connecting its virtual table; the read-only connection refuses any real write.
        return sqlite3.SQLITE_OK
    if action in DENIED_ACTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() in DENIED_FUNCTIONS:
        return sqlite3.SQLITE_DENY
    if action == sqlite3.SQLITE_PRAGMA and arg2 is not None and (arg1 or "").lower() not in PRAGMAS_WITH_NAME_ARGUMENT:
        return sqlite3.SQLITE_DENY
    return sqlite3.SQLITE_OK


def _too_wide(fmt: str, args: tuple) -> bool:
    """Whether a printf format asks for a width or precision above MAX_VALUE_BYTES."""
    i = 0
    for width, precision, kind in _CONVERSION.findall(fmt):
        for part in (width, precision):
            if part == "*":
                value = args[i] if i < len(args) else 0
                i += 1
                try:
                    number = abs(int(float(value))) if value is not None else 0
                except (TypeError, ValueError):
                    number = 0
            else:
                number = int(part) if part else 0
            if number > MAX_VALUE_BYTES:
                return True
        i += kind != "%"
    return False


def bounded_printf(builtin: sqlite3.Connection):
    """printf()/format() as SQLite has them, refusing a width or precision no value can have."""

    def printf(*args):
        if not args:
            return None
        if isinstance(args[0], str) and _too_wide(args[0], args[1:]):
            return "x" * (MAX_VALUE_BYTES + 1)  # refused by SQLITE_LIMIT_LENGTH: "string or blob too big"
        marks = ", ".join("?" * len(args))
        return builtin.execute(f"select printf({marks})", args).fetchone()[0]

    return printf


def limit(conn: sqlite3.Connection) -> None:
    for which, value in LIMITS.items():
        conn.setlimit(which, value)


@hookimpl
def prepare_connection(conn, database, datasette):
    db = datasette.databases.get(database)
    if db is not None and not db.is_mutable:
        conn.set_authorizer(authorizer)
        limit(conn)
        builtin = sqlite3.connect(":memory:", check_same_thread=False)
        limit(builtin)
        for name in ("printf", "format"):
            conn.create_function(name, -1, bounded_printf(builtin), deterministic=True)

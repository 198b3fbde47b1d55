"""Lint what the build publishes about itself, the package descriptor and Datasette's metadata.json, and the
hand-kept descriptor of the sources (sources/datapackage.json) that the published one derives from.

Both tools that read these files forgive too much. frictionless accepts unknown keys, so a misspelt
`licences` or a `pattern` written outside `constraints` passes validation and is silently lost;
Datasette ignores unknown keys in metadata.json and only fails on a canned query when someone runs it.
So each file is checked against a strict JSON Schema of our own (scripts/profiles/, with
additionalProperties false at every level), and then against what it refers to: the descriptor's keys
and references against its own fields and resources, metadata.json's tables, columns and canned
queries against the SQLite database (each query is compiled with EXPLAIN, its parameters left empty).
The sources descriptor gets the same profile with this project's extensions (`derived`, a field's `hint`:
profiles/sources.extensions.json), and the same checks of keys and references, its derived columns,
references and tables included; every resource has a licence (its own or the package's) and a file.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import sqlite3
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator

from douzelage.files import read_only
from douzelage.layout import DB_FILE, ROOT, SOURCES
from douzelage.problems import Problem

PROFILES = Path(__file__).resolve().parent / "profiles"
DESCRIPTOR_FILE = "datapackage/datapackage.json"
METADATA_FILE = "metadata.json"
SOURCES_FILE = "sources/datapackage.json"
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")
_NUMERIC = {"number", "integer", "year", "date", "time", "datetime", "yearmonth"}
_STRINGY = {"string"}
_LEVEL_NAMES = {
    "tableSchema": "table schema",
    "foreignKey": "foreign key",
    "constraints": "field's constraints",
    "instance": "metadata.json (top level)",
    "query": "canned query",
    "derived": "derived section",
    "derivedColumns": "table's derived columns",
    "derivedResource": "derived resource",
}


@cache
def _profile(name: str) -> dict:
    if name == "sources.strict.json":
        return sources_profile()
    return json.loads((PROFILES / name).read_text(encoding="utf-8"))


@cache
def sources_profile() -> dict:
    """The strict profile of the sources descriptor: the published one's, with the extensions merged in."""
    ext = json.loads((PROFILES / "sources.extensions.json").read_text(encoding="utf-8"))
    profile = copy.deepcopy(_profile("datapackage.strict.json"))
    profile["$id"] = profile["$id"].replace("datapackage.strict.json", "sources.strict.json")
    profile["title"], profile["description"] = ext["title"], ext["description"]
    defs = profile["$defs"]
    for level, keys in ext["properties"].items():
        defs[level]["properties"].update(keys)
    for level, keys in ext["notRequired"].items():
        defs[level]["required"] = [k for k in defs[level]["required"] if k not in keys]
    defs.update(ext["$defs"])
    return profile


def _path(parts) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(top level)"


def _levels(profile: dict) -> dict[str, set[str]]:
    """For each level of the profile (package, resource, field...), the keys it allows."""
    return {
        _LEVEL_NAMES.get(name, name): set(d["properties"]) for name, d in profile["$defs"].items() if "properties" in d
    }


def _level_of(schema: dict, profile: dict) -> str:
    for name, d in profile["$defs"].items():
        if d is schema or d == schema:
            return _LEVEL_NAMES.get(name, name)
    return "object"


def _schema_problems(doc, profile_name: str, file: str) -> list[Problem]:
    profile = _profile(profile_name)
    levels = _levels(profile)
    problems = []
    for error in Draft202012Validator(profile).iter_errors(doc):
        where = _path(error.absolute_path)
        if error.validator == "additionalProperties":
            allowed = set(error.schema.get("properties", {}))
            level = _level_of(error.schema, profile)
            for key in sorted(set(error.instance) - allowed):
                problems.append(
                    Problem(
                        file,
                        None,
                        where,
                        key,
                        "unknown-key",
                        f"is not a key of a {level}",
                        _key_hint(key, allowed, levels),
                    )
                )
        else:
            problems.append(
                Problem(
                    file,
                    None,
                    where,
                    _short(error.instance),
                    f"schema-{error.validator}",
                    error.message if len(error.message) < 200 else error.message[:200] + "…",
                    "see the profile scripts/profiles/" + profile_name,
                )
            )
    return problems


def _key_hint(key: str, allowed: set[str], levels: dict[str, set[str]]) -> str:
    elsewhere = sorted(level for level, keys in levels.items() if key in keys)
    if elsewhere:
        return f"{key!r} belongs in a {' or a '.join(elsewhere)}, not here: move it"
    close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]!r}?"
    everywhere = sorted(set().union(*levels.values()))
    close = difflib.get_close_matches(key, everywhere, n=1, cutoff=0.75)
    if close:
        where = sorted(level for level, keys in levels.items() if close[0] in keys)
        return f"did you mean {close[0]!r}? It belongs in a {' or a '.join(where)}"
    return "remove it; the keys allowed here are: " + ", ".join(sorted(allowed))


def _short(value) -> str | None:
    if value is None or isinstance(value, (dict, list)):
        return None
    text = str(value)
    return text if len(text) <= 80 else text[:80] + "…"


# --- the package descriptor ----------------------------------------------------------------------------


def lint_descriptor(desc: dict, file: str = DESCRIPTOR_FILE) -> list[Problem]:
    """Every problem of a Data Package descriptor: unknown or misplaced keys, and broken references."""
    problems = _schema_problems(desc, "datapackage.strict.json", file)
    resources = [r for r in desc.get("resources", []) if isinstance(r, dict)]
    names = [r.get("name") for r in resources]
    schemas = {r.get("name"): r.get("schema") for r in resources if isinstance(r.get("schema"), dict)}
    for i, name in enumerate(names):
        if names.count(name) > 1 and names.index(name) < i:
            problems.append(
                Problem(
                    file,
                    None,
                    f"resources[{i}].name",
                    name,
                    "duplicate-resource",
                    "this resource name is used twice",
                    "give each resource its own name",
                )
            )
    for i, r in enumerate(resources):
        if isinstance(r.get("schema"), dict):
            problems += _lint_table_schema(r["schema"], f"resources[{i}].schema", schemas, file)
        path, fmt = r.get("path"), r.get("format")
        if isinstance(path, str) and isinstance(fmt, str) and not path.endswith("." + fmt):
            problems.append(
                Problem(
                    file,
                    None,
                    f"resources[{i}].path",
                    path,
                    "format-mismatch",
                    f"the path does not end in .{fmt}, the resource's format",
                    "make path and format agree",
                )
            )
    return problems


def _lint_table_schema(ts: dict, where: str, schemas: dict, file: str) -> list[Problem]:
    problems = []
    flds = [f for f in ts.get("fields", []) if isinstance(f, dict)]
    names = [f.get("name") for f in flds]

    for i, f in enumerate(flds):
        if names.count(f.get("name")) > 1 and names.index(f.get("name")) < i:
            problems.append(
                Problem(
                    file,
                    None,
                    f"{where}.fields[{i}].name",
                    f.get("name"),
                    "duplicate-field",
                    "this field name is used twice",
                    "give each field its own name",
                )
            )
        c: dict = f["constraints"] if isinstance(f.get("constraints"), dict) else {}
        kind = f.get("type")
        for key in ("pattern", "minLength", "maxLength"):
            if key in c and kind not in _STRINGY:
                problems.append(
                    Problem(
                        file,
                        None,
                        f"{where}.fields[{i}].constraints",
                        key,
                        "constraint-type",
                        f"{key} applies to strings, not to a {kind} field",
                        f"remove {key} or change the type",
                    )
                )
        for key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            if key in c and kind not in _NUMERIC:
                problems.append(
                    Problem(
                        file,
                        None,
                        f"{where}.fields[{i}].constraints",
                        key,
                        "constraint-type",
                        f"{key} applies to numbers and dates, not to a {kind} field",
                        f"remove {key} or change the type",
                    )
                )
    problems += _unknown_fields(ts.get("primaryKey", []), f"{where}.primaryKey", names, file)
    problems += _lint_foreign_keys(ts.get("foreignKeys", []), f"{where}.foreignKeys", ts, schemas, file)
    return problems


def _unknown_fields(cols, at: str, known: list, file: str) -> list[Problem]:
    problems = []
    for c in cols if isinstance(cols, list) else [cols]:
        if c not in known:
            close = difflib.get_close_matches(str(c), [k for k in known if k], n=1)
            problems.append(
                Problem(
                    file,
                    None,
                    at,
                    str(c),
                    "unknown-field",
                    "names no field of the table",
                    f"did you mean {close[0]!r}?" if close else "use a field name",
                )
            )
    return problems


def _field_names(ts: dict) -> list:
    return [f.get("name") for f in ts.get("fields", []) if isinstance(f, dict)]


def _lint_foreign_keys(fks, where: str, ts: dict, schemas: dict, file: str) -> list[Problem]:
    """The foreign keys of table schema `ts`: their fields are its own, their references exist."""
    problems = []
    names = _field_names(ts)
    for j, fk in enumerate(fks if isinstance(fks, list) else []):
        if not isinstance(fk, dict):
            continue
        at = f"{where}[{j}]"
        problems += _unknown_fields(fk.get("fields", []), f"{at}.fields", names, file)
        ref = fk.get("reference", {}) if isinstance(fk.get("reference"), dict) else {}
        target = ref.get("resource")
        if target not in schemas and target != "":  # "" refers to the resource itself
            close = difflib.get_close_matches(str(target), list(schemas), n=1)
            problems.append(
                Problem(
                    file,
                    None,
                    f"{at}.reference.resource",
                    str(target),
                    "unknown-resource",
                    "names no resource with a table schema in this package",
                    f"did you mean {close[0]!r}?" if close else "name a resource of the package",
                )
            )
        else:
            target_schema = ts if target == "" else schemas[target]
            problems += _unknown_fields(
                ref.get("fields", []), f"{at}.reference.fields", _field_names(target_schema), file
            )
        if len(fk.get("fields", [])) != len(ref.get("fields", [])):
            problems.append(
                Problem(
                    file,
                    None,
                    at,
                    None,
                    "foreign-key-arity",
                    "the key and its reference do not have the same number of fields",
                    "list one reference field for each key field",
                )
            )
    return problems


# --- the sources descriptor ------------------------------------------------------------------------------


def lint_sources_descriptor(desc: dict, file: str = SOURCES_FILE) -> list[Problem]:
    """Every problem of the hand-kept sources descriptor: unknown or misplaced keys (its extensions
    included), broken references (to source and to derived tables), and resources without a licence."""
    problems = _schema_problems(desc, "sources.strict.json", file)
    resources = [r for r in desc.get("resources", []) if isinstance(r, dict)]
    derived: dict = _dict(desc.get("derived"))
    made = [d for d in derived.get("resources", []) if isinstance(d, dict)]
    columns: dict = _dict(derived.get("fields"))
    keys: dict = _dict(derived.get("foreignKeys"))
    # every table as published: a source table with its derived columns, and the derived tables
    schemas = {r.get("name"): copy.deepcopy(r["schema"]) for r in resources if isinstance(r.get("schema"), dict)}
    for table, extra in columns.items():
        if table in schemas and isinstance(extra, dict) and isinstance(schemas[table].get("fields"), list):
            schemas[table]["fields"] += [f for f in extra.get("fields", []) if isinstance(f, dict)]
    schemas.update({d.get("name"): d["schema"] for d in made if isinstance(d.get("schema"), dict)})
    named = [(f"resources[{i}]", r.get("name")) for i, r in enumerate(resources)]
    named += [(f"derived.resources[{j}]", d.get("name")) for j, d in enumerate(made)]
    seen: set = set()
    for at, name in named:
        if name in seen:
            problems.append(
                Problem(
                    file,
                    None,
                    f"{at}.name",
                    name,
                    "duplicate-resource",
                    "this resource name is used twice",
                    "give each resource its own name",
                )
            )
        seen.add(name)
    package_licensed = bool(desc.get("licenses"))
    for i, r in enumerate(resources):
        at = f"resources[{i}]"
        if isinstance(r.get("schema"), dict):
            problems += _lint_table_schema(r["schema"], f"{at}.schema", schemas, file)
        if not package_licensed and not r.get("licenses"):
            problems.append(
                Problem(
                    file,
                    None,
                    at,
                    r.get("name"),
                    "licence",
                    "has no licence, and the package has none for it to inherit",
                    "give the package its licenses (CC-BY-4.0), or this resource its own",
                )
            )
        path, fmt = r.get("path"), r.get("format")
        if isinstance(path, str) and isinstance(fmt, str) and not path.endswith("." + fmt):
            problems.append(
                Problem(
                    file,
                    None,
                    f"{at}.path",
                    path,
                    "format-mismatch",
                    f"the path does not end in .{fmt}, the resource's format",
                    "make path and format agree",
                )
            )
    sources = [r.get("name") for r in resources]
    order = [n for _, n in named]
    for j, d in enumerate(made):
        at = f"derived.resources[{j}]"
        if isinstance(d.get("schema"), dict):
            problems += _lint_table_schema(d["schema"], f"{at}.schema", schemas, file)
        if isinstance(d.get("after"), str) and d["after"] not in order:
            problems.append(_unknown_resource(file, f"{at}.after", d["after"], order))
    for table, extra in columns.items():
        at = f"derived.fields.{table}"
        if table not in sources:
            problems.append(_unknown_resource(file, at, table, sources, "names no source resource"))
            continue
        own = _field_names(next(r for r in resources if r.get("name") == table).get("schema") or {})
        if isinstance(extra, dict) and isinstance(extra.get("after"), str):
            problems += _unknown_fields(extra["after"], f"{at}.after", own, file)
        for k, f in enumerate(extra.get("fields", []) if isinstance(extra, dict) else []):
            if isinstance(f, dict) and f.get("name") in own:
                problems.append(
                    Problem(
                        file,
                        None,
                        f"{at}.fields[{k}].name",
                        f.get("name"),
                        "duplicate-field",
                        f"the source file {table} has this column already",
                        "a derived column has no column in the source file: remove one of the two",
                    )
                )
    for table, fks in keys.items():
        at = f"derived.foreignKeys.{table}"
        if table not in sources:
            problems.append(_unknown_resource(file, at, table, sources, "names no source resource"))
            continue
        problems += _lint_foreign_keys(fks, at, schemas.get(table) or {}, schemas, file)
    return problems


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _unknown_resource(file: str, at: str, name, known: list, why: str = "names no resource") -> Problem:
    close = difflib.get_close_matches(str(name), [k for k in known if isinstance(k, str)], n=1)
    return Problem(
        file,
        None,
        at,
        str(name),
        "unknown-resource",
        f"{why} of this package",
        f"did you mean {close[0]!r}?" if close else "name a resource of the package",
    )


def lint_sources(folder: Path = SOURCES) -> list[Problem]:
    """Lint a sources folder's descriptor, and that it describes the folder: one resource per CSV file."""
    desc_path = folder / "datapackage.json"
    desc, problems = _load_json(desc_path, "fix the JSON syntax (a comma or a quote) at that line")
    if not isinstance(desc, dict):
        return problems
    file = _display(desc_path)
    problems += lint_sources_descriptor(desc, file)
    listed = set()
    for i, r in enumerate(desc.get("resources", [])):
        if isinstance(r, dict) and isinstance(r.get("path"), str):
            listed.add(r["path"])
            if not (folder / r["path"]).is_file():
                problems.append(
                    Problem(
                        file,
                        None,
                        f"resources[{i}].path",
                        r["path"],
                        "missing-resource-file",
                        "the file this resource describes is not in the sources folder",
                        "correct the path, or add the file",
                    )
                )
    for unlisted in sorted(p.name for p in folder.glob("*.csv") if p.name not in listed):
        problems.append(
            Problem(
                file,
                None,
                "resources",
                unlisted,
                "unlisted-file",
                "this CSV file of the sources folder is no resource of the descriptor, so nothing reads it",
                "describe it as a resource, or move it out of sources/",
            )
        )
    return problems


# --- Datasette's metadata.json ---------------------------------------------------------------------------


def lint_metadata(metadata: dict, db_path: Path, file: str = METADATA_FILE) -> list[Problem]:
    """Every problem of metadata.json: unknown keys, and tables, columns and canned queries the database lacks."""
    problems = _schema_problems(metadata, "metadata.strict.json", file)
    databases = metadata.get("databases", {}) if isinstance(metadata.get("databases"), dict) else {}
    with read_only(db_path) as conn:
        objects = {
            name: kind
            for name, kind in conn.execute("select name, type from sqlite_master where type in ('table', 'view')")
        }
        for db_name, db in databases.items():
            if not isinstance(db, dict):
                continue
            at = f"databases.{db_name}"
            if db_name != db_path.stem:
                problems.append(
                    Problem(
                        file,
                        None,
                        at,
                        db_name,
                        "unknown-database",
                        f"Datasette serves {db_path.name} as {db_path.stem!r}, so this metadata is ignored",
                        f"name the database {db_path.stem!r}",
                    )
                )
                continue
            for table, meta in (db.get("tables") or {}).items():
                problems += _lint_table_meta(conn, objects, table, meta, f"{at}.tables.{table}", file)
            for name, query in (db.get("queries") or {}).items():
                if isinstance(query, dict) and isinstance(query.get("sql"), str):
                    problems += _lint_query(conn, name, query, f"{at}.queries.{name}", file)
    return problems


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [r[1] for r in conn.execute(f"pragma table_info({json.dumps(table)})")]


def _lint_table_meta(conn, objects: dict, table: str, meta, at: str, file: str) -> list[Problem]:
    if table not in objects:
        close = difflib.get_close_matches(table, list(objects), n=1)
        return [
            Problem(
                file,
                None,
                at,
                table,
                "unknown-table",
                "names no table or view of the database",
                f"did you mean {close[0]!r}?" if close else "remove it, or create the table",
            )
        ]
    if not isinstance(meta, dict):
        return []
    known = _columns(conn, table)
    named: list[tuple[str, str]] = []
    for key in ("columns", "units"):
        named += [(f"{at}.{key}", c) for c in (meta.get(key) or {})]
    named += [(f"{at}.sortable_columns", c) for c in (meta.get("sortable_columns") or [])]
    for key in ("label_column", "sort", "sort_desc", "fts_pk"):
        if isinstance(meta.get(key), str):
            named.append((f"{at}.{key}", meta[key]))
    for facet in meta.get("facets") or []:
        named += [(f"{at}.facets", c) for c in (facet.values() if isinstance(facet, dict) else [facet])]
    problems = []
    for where, column in named:
        if column not in known:
            close = difflib.get_close_matches(str(column), known, n=1)
            problems.append(
                Problem(
                    file,
                    None,
                    where,
                    str(column),
                    "unknown-column",
                    f"names no column of {table}",
                    f"did you mean {close[0]!r}?" if close else f"columns: {', '.join(known)}",
                )
            )
    if isinstance(meta.get("fts_table"), str) and meta["fts_table"] not in objects:
        problems.append(
            Problem(
                file,
                None,
                f"{at}.fts_table",
                meta["fts_table"],
                "unknown-table",
                "names no table of the database",
                "name the full-text search table",
            )
        )
    return problems


def _lint_query(conn, name: str, query: dict, at: str, file: str) -> list[Problem]:
    problems = []
    sql = query["sql"]
    used = list(dict.fromkeys(_PARAM.findall(_without_literals(sql))))
    for p in query.get("params") or []:
        if p not in used:
            problems.append(
                Problem(
                    file,
                    None,
                    f"{at}.params",
                    p,
                    "unused-param",
                    "this parameter does not appear in the query's SQL",
                    f"write :{p} in the SQL, or remove it from params",
                )
            )
    if query.get("write"):
        problems.append(
            Problem(
                file,
                None,
                f"{at}.write",
                name,
                "write-query",
                "the site is served read-only (immutable), so a writing query cannot run",
                "remove the query or write: true",
            )
        )
    try:
        conn.execute("explain " + sql, {p: "" for p in used})
    except sqlite3.Error as e:
        problems.append(
            Problem(
                file,
                None,
                f"{at}.sql",
                name,
                "canned-query",
                f"the canned query does not compile: {e}",
                "fix the SQL; try it in Datasette's SQL editor or the sqlite3 shell",
            )
        )
    return problems


def _without_literals(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


# --- the published folder ------------------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def _load_json(path: Path, hint: str = "rebuild it with `douzelage build`") -> tuple[object, list[Problem]]:
    try:
        return json.loads(path.read_text(encoding="utf-8")), []
    except FileNotFoundError:
        return None, [Problem(_display(path), None, None, None, "missing-file", "does not exist", hint)]
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        row = getattr(e, "lineno", None)
        return None, [
            Problem(
                _display(path),
                row,
                None,
                None,
                "json",
                f"is not valid UTF-8 JSON: {e}",
                hint,
            )
        ]


def lint_published(package: Path, metadata: Path) -> list[Problem]:
    """Lint a published folder: its descriptor, the files it lists, and metadata.json against its database."""
    desc_path = package / "datapackage.json"
    desc, problems = _load_json(desc_path)
    if isinstance(desc, dict):
        file = _display(desc_path)
        problems += lint_descriptor(desc, file)
        for i, r in enumerate(desc.get("resources", [])):
            if isinstance(r, dict) and isinstance(r.get("path"), str):
                problems += _check_resource_file(package, r, f"resources[{i}]", file)
    meta, found = _load_json(metadata)
    problems += found
    if isinstance(meta, dict):
        problems += lint_metadata(meta, package / DB_FILE, _display(metadata))
    return problems


def _check_resource_file(package: Path, r: dict, at: str, file: str) -> list[Problem]:
    path = package / r["path"]
    if not path.is_file():
        return [
            Problem(
                file,
                None,
                f"{at}.path",
                r["path"],
                "missing-resource-file",
                "the file this resource describes is not in the package",
                "rebuild the package",
            )
        ]
    data = path.read_bytes()
    problems = []
    if "bytes" in r and r["bytes"] != len(data):
        problems.append(
            Problem(
                file,
                None,
                f"{at}.bytes",
                str(r["bytes"]),
                "bytes",
                f"the file has {len(data)} bytes",
                "rebuild the package",
            )
        )
    if isinstance(r.get("hash"), str):
        want = r["hash"].split(":")[-1]
        algo = r["hash"].split(":")[0] if ":" in r["hash"] else "md5"
        if algo in ("sha256", "md5") and hashlib.new(algo, data).hexdigest() != want:
            problems.append(
                Problem(
                    file,
                    None,
                    f"{at}.hash",
                    r["hash"],
                    "hash",
                    "the file's hash differs from the one recorded",
                    "rebuild the package",
                )
            )
    return problems

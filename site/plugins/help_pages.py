"""Help for people who query the data: /guide for journalists (the tables and how they join, ten worked
questions, how to cite a row, the limits, the whole database) and /api for developers (the stable JSON
endpoints, each with a curl line).

The diagram of the tables is laid out here from the foreign keys of the served datapackage.json (the file
the build wrote), once per version of the file; the template draws it as SVG. The worked questions and
their SQL are the `guide` section of site/site.yaml; a question and its explanation are shown in the page's
language (`make i18n-extract` collects them from site.yaml: babel.cfg), the SQL as it is. Nothing is
imported from the build.
"""

from __future__ import annotations

import json
from datetime import date
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

import yaml
from datasette import hookimpl
from datasette.utils.asgi import Response

from douzelage.serving.site_plugins import sibling

SITE_YAML = Path(__file__).resolve().parent.parent / "site.yaml"


def _i18n():
    """The language plugin (site/plugins/i18n.py): its catalogues and the formatting of dates and numbers."""
    return sibling(__file__, "i18n")


# The diagram's measures, in SVG units.
BOX_WIDTH, HEADER, ROW, GAP_X, GAP_Y, MARGIN, LANE = 200, 24, 18, 110, 22, 16, 7


def _downloads():
    """The downloads page's plugin (site/plugins/downloads_page.py): the package folder, the base URL."""
    return sibling(__file__, "downloads_page")


def _descriptor(datasette) -> dict:
    package = _downloads().package_folder(datasette)
    path = package / "datapackage.json" if package else None
    if path is None or not path.is_file():
        return {"resources": []}
    stat = path.stat()
    return _read_json(path, stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=4)
def _read_json(path: Path, size: int, mtime_ns: int):
    return json.loads(path.read_text(encoding="utf-8"))


def guide_questions() -> list[dict]:
    """The worked questions of the guide: the `guide` section of site/site.yaml."""
    stat = SITE_YAML.stat()
    return _guide(stat.st_size, stat.st_mtime_ns)


@lru_cache(maxsize=2)
def _guide(size: int, mtime_ns: int) -> list[dict]:
    return yaml.safe_load(SITE_YAML.read_text(encoding="utf-8"))["guide"]


def joins(descriptor: dict) -> list[dict]:
    """Every foreign key of the package's tables: from table.column to table.column."""
    found = []
    for r in descriptor.get("resources", []):
        for fk in r.get("schema", {}).get("foreignKeys", []):
            target = fk["reference"].get("resource") or r["name"]
            for a, b in zip(fk["fields"], fk["reference"]["fields"]):
                found.append({"table": r["name"], "column": a, "to_table": target, "to_column": b})
    return found


def diagram(descriptor: dict) -> dict:
    """A layout of the tables and their foreign keys. A table that three in four others refer to (the sources every
    row cites) is a bar along the bottom, reached by a lane in the gap beside each column; the others stand
    in columns by how far their references reach, each column sorted by where its references lead."""
    tables = {r["name"]: r for r in descriptor.get("resources", []) if r.get("schema", {}).get("fields")}
    edges = [e for e in joins(descriptor) if e["table"] in tables and e["to_table"] in tables]
    referring: dict[str, set] = {}
    for e in edges:
        if e["table"] != e["to_table"]:
            referring.setdefault(e["to_table"], set()).add(e["table"])
    hubs = {t for t, by in referring.items() if len(by) * 4 >= 3 * (len(tables) - 1) and len(tables) > 2}
    targets: dict[str, set] = {t: set() for t in tables}
    for e in edges:
        if e["to_table"] not in hubs and e["to_table"] != e["table"]:
            targets[e["table"]].add(e["to_table"])

    depth: dict[str, int] = {}

    def depth_of(t: str, seen: frozenset = frozenset()) -> int:
        if t not in depth:
            depth[t] = 1 + max((depth_of(u, seen | {t}) for u in targets[t] if u not in seen), default=-1)
        return depth[t]

    boxes: dict[str, dict] = {}
    for name, r in tables.items():
        if name in hubs:
            continue
        fields = [f["name"] for f in r["schema"]["fields"]]
        key = r["schema"].get("primaryKey") or []
        key = [key] if isinstance(key, str) else key
        fk_columns = [e["column"] for e in edges if e["table"] == name]
        shown = list(dict.fromkeys([*key, *fk_columns]))
        boxes[name] = {
            "name": name,
            "title": r.get("title", name),
            "rows": [{"column": c, "key": c in key, "fk": c in fk_columns} for c in shown],
            "more": len(fields) - len(shown),
            "depth": depth_of(name),
        }
    columns = max((b["depth"] for b in boxes.values()), default=0) + 1
    y_of: dict[str, float] = {}
    heights = []
    for d in range(columns):  # right to left: the tables referred to first, so the others sort by them
        column = [b for b in boxes.values() if b["depth"] == d]
        column.sort(key=lambda b: (_mean([y_of[t] for t in targets[b["name"]] if t in y_of]), b["name"]))
        y = MARGIN
        for b in column:
            b["x"] = MARGIN + (columns - 1 - d) * (BOX_WIDTH + GAP_X)
            b["y"] = y
            b["height"] = HEADER + ROW * (len(b["rows"]) + (1 if b["more"] else 0))
            for i, row in enumerate(b["rows"]):
                row["y"] = round(y + HEADER + ROW * i + ROW * 0.7, 1)
            y_of[b["name"]] = y + b["height"] / 2
            y += b["height"] + GAP_Y
        heights.append(y)
    height = max(heights, default=MARGIN)
    for d in range(columns):  # centre each column on the tallest
        column = [b for b in boxes.values() if b["depth"] == d]
        shift = (height - heights[d]) / 2
        for b in column:
            b["y"] = round(b["y"] + shift, 1)
            for row in b["rows"]:
                row["y"] = round(row["y"] + shift, 1)
    width = MARGIN * 2 + columns * BOX_WIDTH + (columns - 1) * GAP_X + GAP_X / 2
    bars = []
    bar_y = height + GAP_Y
    for name in sorted(hubs):
        key = tables[name]["schema"].get("primaryKey") or []
        bars.append(
            {
                "name": name,
                "title": tables[name].get("title", name),
                "key": ", ".join([key] if isinstance(key, str) else key),
                "x": MARGIN,
                "y": bar_y,
                "width": width - 2 * MARGIN,
                "height": HEADER + ROW,
            }
        )
        bar_y += HEADER + ROW + GAP_Y
    lines: list[dict] = []
    lanes: dict[int, list] = {}
    for e in edges:
        a = boxes.get(e["table"])
        if a is None:
            continue
        y1 = next(r["y"] for r in a["rows"] if r["column"] == e["column"]) - 4
        x1 = a["x"] + BOX_WIDTH
        if e["to_table"] in hubs:
            bar = next(b for b in bars if b["name"] == e["to_table"])
            lane = lanes.setdefault(a["depth"], [])
            lane.append(e)
            x = x1 + LANE * len(lane)
            lines.append({**e, "hub": True, "path": f"M{x1},{y1} H{x} V{bar['y']}"})
            continue
        b = boxes[e["to_table"]]
        y2 = next((r["y"] for r in b["rows"] if r["column"] == e["to_column"]), b["y"] + HEADER) - 4
        x2 = b["x"]
        if x2 <= x1:  # a reference within one column: a loop out to the right and back
            lines.append({**e, "hub": False, "path": f"M{x1},{y1} C{x1 + 60},{y1} {x1 + 60},{y2} {x1},{y2}"})
            continue
        bend = (x2 - x1) / 2
        lines.append({**e, "hub": False, "path": f"M{x1},{y1} C{x1 + bend},{y1} {x2 - bend},{y2} {x2},{y2}"})
    return {
        "boxes": sorted(boxes.values(), key=lambda b: (b["x"], b["y"])),
        "bars": bars,
        "lines": lines,
        "width": round(width),
        "height": round(bar_y),
        "box_width": BOX_WIDTH,
        "header": HEADER,
        "row": ROW,
    }


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("inf")


@lru_cache(maxsize=2)
def _diagram_of(key: str) -> dict:
    return diagram(json.loads(key))


async def guide_page(request, datasette):
    db = datasette.get_database()
    descriptor = _descriptor(datasette)
    base = _downloads().site_base_url(datasette, request)
    counts = await db.table_counts(limit=100)
    tables = [
        {
            "name": r["name"],
            "title": r.get("title", r["name"]),
            "description": r.get("description", ""),
            "rows": counts.get(r["name"]),
            "url": datasette.urls.table(db.name, r["name"]),
            "key": r["schema"].get("primaryKey"),
        }
        for r in descriptor.get("resources", [])
        if r.get("schema", {}).get("fields")
    ]
    i18n = _i18n()
    lang = i18n.request_language(request)
    questions = [
        {
            **q,
            "question": i18n.gettext(lang, q["question"]),
            "how": i18n.gettext(lang, q["how"]),
            "url": datasette.urls.database(db.name) + "?" + urlencode({"sql": q["sql"]}),
            "json_url": datasette.urls.database(db.name, format="json") + "?" + urlencode({"sql": q["sql"]}),
        }
        for q in guide_questions()
    ]
    example = (await db.execute(_page_query("guide_cite_example"))).first()
    manifest = _manifest(datasette)
    database_file = next((f for f in manifest if f["path"].endswith(".db")), None)
    licence = (descriptor.get("licenses") or [{}])[0]
    context = {
        "diagram": _diagram_of(json.dumps(descriptor, sort_keys=True)),
        "joins": joins(descriptor),
        "tables": tables,
        "questions": questions,
        "cite": {
            "row": dict(example) if example else None,
            "row_url": base + datasette.urls.row(db.name, "towns", example["id"]) if example else None,
            "title": descriptor.get("title"),
            "version": descriptor.get("version"),
            "creator": ", ".join(c.get("title", "") for c in descriptor.get("contributors", [])),
            "licence": licence.get("name"),
            "licence_url": licence.get("path"),
            "today": date.today().isoformat(),
        },
        "time_limit_ms": datasette.setting("sql_time_limit_ms"),
        "max_rows": datasette.setting("max_returned_rows"),
        "page_size": datasette.setting("default_page_size"),
        "database_file": database_file,
        "database_url": datasette.urls.path(f"/{db.name}.db"),
        "site_base_url": base,
        "editor_url": datasette.urls.database(db.name),
    }
    return Response.html(await datasette.render_template("guide.html", context, request=request, view_name="guide"))


def _manifest(datasette) -> list[dict]:
    package = _downloads().package_folder(datasette)
    path = package / "meta" / "manifest.json" if package else None
    if path is None or not path.is_file():
        return []
    stat = path.stat()
    return _read_json(path, stat.st_size, stat.st_mtime_ns)


def _page_query(name: str) -> str:
    stat = SITE_YAML.stat()
    return _pages(stat.st_size, stat.st_mtime_ns)[name]


@lru_cache(maxsize=2)
def _pages(size: int, mtime_ns: int) -> dict:
    return yaml.safe_load(SITE_YAML.read_text(encoding="utf-8"))["pages"]


async def api_page(request, datasette):
    db = datasette.get_database()
    example = (await db.execute(_page_query("guide_cite_example"))).first()
    context = {
        "site_base_url": _downloads().site_base_url(datasette, request),
        "database": db.name,
        "town": dict(example) if example else None,
        "time_limit_ms": datasette.setting("sql_time_limit_ms"),
        "max_rows": datasette.setting("max_returned_rows"),
        "page_size": datasette.setting("default_page_size"),
        "sample_sql": "select name, country from towns where status = 'current' order by name",
    }
    return Response.html(await datasette.render_template("api.html", context, request=request, view_name="api"))


@hookimpl
def register_routes():
    return [(r"^/guide$", guide_page), (r"^/api$", api_page)]


@hookimpl
def prepare_jinja2_environment(env):
    env.filters["query_string"] = lambda params: urlencode(params)

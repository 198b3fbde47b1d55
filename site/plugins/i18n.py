"""The public pages in the towns' languages: English at /, every other language under its own prefix
(/sv/…, /fr/…, /de/…), with the interface translated from the gettext catalogues in site/locale and the
dates and numbers written as each language writes them (babel).

- The catalogues are the .po files in site/locale/<lang>/LC_MESSAGES/messages.po; babel compiles them when
  the server starts (the startup hook; no .mo is kept in the repository), and again if one is edited. A
  language is served as soon as its .po file exists: adding one of the network's other languages is
  `make i18n-init LANG_CODE=…` and a translation.
- The language is chosen by the URL. An ASGI wrapper strips the prefix from the path and records the
  language in the request's scope (`douzelage.lang`), so every public route answers in every language
  without knowing it. Datasette's own pages (databases, tables, SQL, /-/…) and files (anything whose last
  path segment has a dot, /downloads/…, /assets/…) are not translated: their prefixed address redirects
  (302) to the unprefixed one.
- Templates translate with Jinja's i18n extension (`{% trans %}`, `{{ _() }}`, new-style gettext), the
  language read from the request being rendered; `lang_url()` keeps a link in the page's language;
  `alternates` lists the page in every language for the `hreflang` links and the language switcher.

Other plugins use the functions of this module (gettext, translator, format_*, localize), given the
request's language (`request_language`); they load it by its path, as public_pages.py does (`_i18n()`).
"""

from __future__ import annotations

import gettext as gettext_module
import io
import re
import time
from functools import lru_cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval, get_date_format
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal as babel_format_decimal
from datasette import hookimpl
from jinja2 import pass_context

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DEFAULT = "en"
SCOPE_KEY = "douzelage.lang"
_NOT_PUBLIC = ("/-/", "/assets/", "/downloads/")
_NOT_PUBLIC_EXACT = ("/robots.txt", "/sitemap.xml")
_RECHECK_S = 2.0  # how often site/locale is looked at again (a new or edited .po is served within 2 s)


_languages: tuple[float, list[str]] = (-1e9, [])


def languages() -> list[str]:
    """English first, then every language with a catalogue in site/locale, by code (the folder is looked
    at again every few seconds)."""
    global _languages
    now = time.monotonic()
    if now - _languages[0] >= _RECHECK_S:
        found = sorted(p.parent.parent.name for p in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"))
        _languages = (now, [DEFAULT, *(code for code in found if code != DEFAULT)])
    return list(_languages[1])


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's name in that language: 'Svenska', 'Français', 'Deutsch'."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


_NULL = gettext_module.NullTranslations()
_current: dict[str, tuple[float, gettext_module.NullTranslations]] = {}


def _translations(lang: str) -> gettext_module.NullTranslations:
    """The compiled catalogue of `lang` (none for English): a page asks for it once per message, so the
    file is looked at again only every few seconds."""
    if lang == DEFAULT:
        return _NULL
    now = time.monotonic()
    seen = _current.get(lang)
    if seen is not None and now - seen[0] < _RECHECK_S:
        return seen[1]
    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        translations: gettext_module.NullTranslations = _NULL
    else:
        stat = path.stat()
        translations = _compiled(path, stat.st_size, stat.st_mtime_ns)
    _current[lang] = (now, translations)
    return translations


@lru_cache(maxsize=32)
def _compiled(path: Path, size: int, mtime_ns: int) -> gettext_module.GNUTranslations:
    """A .po file compiled by babel into the .mo bytes gettext reads (fuzzy entries left out)."""
    with path.open("rb") as f:
        catalog = read_po(f, locale=path.parent.parent.name)
    mo = io.BytesIO()
    write_mo(mo, catalog, use_fuzzy=False)
    mo.seek(0)
    return gettext_module.GNUTranslations(mo)


def gettext(lang: str, message: str, **values) -> str:
    """`message` in `lang`, its %(name)s placeholders filled from `values`."""
    text = _translations(lang).gettext(message)
    return text % values if values else text


def ngettext(lang: str, singular: str, plural: str, num: int, **values) -> str:
    """The singular or plural form for `num` in `lang` (its plural rules); %(num)s is the number."""
    text = _translations(lang).ngettext(singular, plural, num)
    return text % {"num": num, **values}


def translator(lang: str):
    """`_` and `n_` for one language, for the sentences built in Python: `_("since %(year)s", year=1998)`."""

    def _(message: str, **values) -> str:
        return gettext(lang, message, **values)

    def n_(singular: str, plural: str, num: int, **values) -> str:
        return ngettext(lang, singular, plural, num, **values)

    return _, n_


def format_date(value, lang: str) -> str:
    """A date in `lang`'s long form: '11 maj 2018', '11 mai 2018', '11. Mai 2018'."""
    return babel_format_date(value, format="long", locale=lang)


def format_date_range(start, end, lang: str) -> str:
    """Two dates in `lang`: one month's days as the language writes them ('11–12 maj 2018'), otherwise
    two long dates."""
    if start == end:
        return format_date(start, lang)
    if (start.year, start.month) == (end.year, end.month):
        # the long form of the last day with the first day before its day: 'd MMMM y' → "'11–'d MMMM y"
        pattern = get_date_format("long", locale=lang).pattern
        at = pattern.find("d")
        if at >= 0 and pattern.count("d") == 1:
            dot = "." if pattern[at + 1 : at + 2] == "." else ""
            return babel_format_date(end, f"{pattern[:at]}'{start.day}{dot}–'{pattern[at:]}", locale=lang)
        return format_interval(start, end, skeleton="yMMMMd", locale=lang)
    return f"{format_date(start, lang)} – {format_date(end, lang)}"


def format_number(value, lang: str) -> str:
    """A number with `lang`'s grouping and decimal signs: 10 870 (sv), 10 870 (fr), 10.870 (de)."""
    return babel_format_decimal(value, locale=lang)


# --- URLs ----------------------------------------------------------------------------------------------

_PREFIX = re.compile(r"^/(?P<lang>[a-z]{2,3}(?:_[A-Z]{2})?)(?P<rest>/.*)?$")


def is_public(path: str, database_names=()) -> bool:
    """Whether `path` (without base_url) is a public page, one that is translated: not Datasette's own
    pages (a database, its tables and queries, /-/…), nor a file (a last segment with a dot)."""
    if path.startswith(_NOT_PUBLIC) or path in _NOT_PUBLIC_EXACT:
        return False
    first = path.split("/")[1] if path.count("/") else ""
    if first in database_names or first.split(".")[0] in database_names:
        return False
    return "." not in path.rsplit("/", 1)[-1]


def split_language(path: str) -> tuple[str | None, str]:
    """'/sv/town/x' → ('sv', '/town/x'); '/sv' → ('sv', '/'); '/town/x' → (None, '/town/x')."""
    m = _PREFIX.match(path)
    if m and m.group("lang") in languages() and m.group("lang") != DEFAULT:
        return m.group("lang"), m.group("rest") or "/"
    return None, path


def language_path(path: str, lang: str, database_names=()) -> str:
    """The address of `path` in `lang`: English and Datasette's own pages stay as they are."""
    if lang == DEFAULT or not path.startswith("/") or not is_public(path.split("?")[0], database_names):
        return path
    return f"/{lang}{path}" if path != "/" else f"/{lang}/"


def request_language(request) -> str:
    if request is None:
        return DEFAULT
    return request.scope.get(SCOPE_KEY) or DEFAULT


def _base_url(datasette) -> str:
    return (datasette.setting("base_url") or "/").rstrip("/")


def localize(datasette, path: str, lang: str) -> str:
    """`path` as Datasette's urls.path() wrote it (with base_url), in `lang`."""
    base = _base_url(datasette)
    inner = path[len(base) :] if base and path.startswith(base + "/") else path
    return base + language_path(inner, lang, datasette.databases.keys())


def alternates(datasette, request) -> list[dict]:
    """The page being served in every language: code, name, absolute URL, whether it is this one."""
    if request is None:
        return []
    path = request.path
    base = _base_url(datasette)
    inner = path[len(base) :] if base and path.startswith(base + "/") else path
    if not is_public(inner, datasette.databases.keys()):
        return []
    query = request.query_string
    current = request_language(request)
    out = []
    for code in languages():
        local = base + language_path(inner, code, datasette.databases.keys()) + (f"?{query}" if query else "")
        out.append(
            {
                "code": code,
                "name": language_name(code),
                "url": local,
                "absolute_url": datasette.absolute_url(request, local),
                "current": code == current,
            }
        )
    return out


# --- the hooks -----------------------------------------------------------------------------------------


def _language_of(context) -> str:
    return request_language(context.get("request"))


@hookimpl
def prepare_jinja2_environment(env, datasette):
    env.add_extension("jinja2.ext.i18n")
    env.policies["ext.i18n.trimmed"] = True

    @pass_context
    def _gettext(context, message):
        return _translations(_language_of(context)).gettext(message)

    @pass_context
    def _ngettext(context, singular, plural, num):
        return _translations(_language_of(context)).ngettext(singular, plural, num)

    env.install_gettext_callables(_gettext, _ngettext, newstyle=True)  # type: ignore[attr-defined]

    @pass_context
    def lang_url(context, path):
        return localize(datasette, str(path), _language_of(context))

    @pass_context
    def number(context, value):
        lang = _language_of(context)
        if value is None or lang == DEFAULT:  # English stays as the pages always wrote it
            return "" if value is None else value
        return format_number(value, lang)

    @pass_context
    def grouped(context, value):
        """A number with its thousands grouped as the page's language writes them, English too (1,000)."""
        return "" if value is None else format_number(value, _language_of(context))

    env.globals["lang_url"] = lang_url
    env.filters["number"] = number
    env.filters["grouped"] = grouped


@hookimpl
def startup(datasette):
    """Compile every catalogue when the server starts, so a broken .po file stops it with babel's message."""

    def inner():
        for lang in languages():
            _translations(lang)

    return inner


@hookimpl
def extra_template_vars(request, datasette):
    lang = request_language(request)
    return {
        "lang": lang,
        "alternates": alternates(datasette, request),
    }


def _redirect(send, location: str):
    async def inner():
        await send(
            {
                "type": "http.response.start",
                "status": 302,
                "headers": [(b"location", location.encode("latin-1")), (b"content-type", b"text/plain")],
            }
        )
        await send({"type": "http.response.body", "body": b""})

    return inner()


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def with_language(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            base = _base_url(datasette)
            path = scope.get("path", "")
            inner = path[len(base) :] if base and path.startswith(base + "/") else path
            lang, rest = split_language(inner)
            if lang is None:
                return await app(scope, receive, send)
            query = scope.get("query_string", b"").decode("latin-1")
            suffix = f"?{query}" if query else ""
            if inner == f"/{lang}":  # /sv → /sv/
                return await _redirect(send, f"{base}/{lang}/{suffix}")
            raw = scope.get("raw_path") or path.encode("utf-8")
            head = f"{base}/{lang}".encode()
            # the same path as it was sent (its own escapes), without the language
            raw_rest = raw[len(head) :] or b"/" if raw.startswith(head) else rest.encode("utf-8")
            if not is_public(rest, datasette.databases.keys()):  # Datasette's own pages speak English
                # one leading slash only: '/sv//elsewhere.example/x' must not send anyone to another site
                target = "/" + raw_rest.decode("latin-1").lstrip("/\\")
                return await _redirect(send, base + target + suffix)
            scope = {**scope, "path": base + rest, "raw_path": base.encode() + raw_rest, SCOPE_KEY: lang}

            async def send_with_language(message):
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", []))
                    headers.append((b"content-language", lang.encode("latin-1")))
                    message = {**message, "headers": headers}
                await send(message)

            return await app(scope, receive, send_with_language)

        return with_language

    return wrap

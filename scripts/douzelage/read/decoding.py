"""Bytes of a hand-edited file to text: UTF-8, or a Problem that says what the file is instead.

Spreadsheets save CSV in the computer's local encoding unless told otherwise, or save a workbook under a
.csv name. The person needs to know which encoding it was (so they can re-save or re-encode it), so a
file that is not UTF-8 is named as the single-byte encoding it most probably is, with the offending line
as it reads in that encoding, and the command that converts it. A UTF-8 byte-order mark is harmless and
dropped.

That hint is only given when it is true: the whole file must decode in that encoding to text that
encodes back to the same bytes, and the file must hold no UTF-8 at all. A UTF-8 file with one stray
byte decodes in any single-byte encoding too, and converting it would turn every other accented letter
into mojibake ("ö" into "Ăś"), so for such a file the message gives the bad byte's line and column and
says to fix that character and keep the file UTF-8.
"""

from __future__ import annotations

from douzelage.problems import Problem

SAVE_AS_CSV = "in the spreadsheet use Save As → 'CSV UTF-8 (Comma delimited) (.csv)'"

_SPREADSHEET_MAGIC = {
    b"PK\x03\x04": "a zip archive: an Excel workbook (.xlsx) or OpenDocument spreadsheet (.ods)",
    b"\xd0\xcf\x11\xe0": "an old Excel workbook (.xls)",
}
_UTF16_32_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}
_ENCODING_NAMES = {
    "cp1252": "Windows-1252 (Western European)",
    "latin_1": "ISO-8859-1 (Latin-1)",
    "iso8859_15": "ISO-8859-15 (Latin-9)",
    "cp1250": "Windows-1250 (Central European)",
    "iso8859_2": "ISO-8859-2 (Latin-2)",
    "mac_roman": "Mac OS Roman",
    "cp1251": "Windows-1251 (Cyrillic)",
    "cp1253": "Windows-1253 (Greek)",
    "iso8859_7": "ISO-8859-7 (Greek)",
    "cp1257": "Windows-1257 (Baltic)",
    "iso8859_13": "ISO-8859-13 (Baltic)",
    "cp850": "DOS code page 850",
}


def decode(data: bytes, file: str) -> tuple[str | None, list[Problem]]:
    """Text of the file, or the problem that says which encoding it looks like."""
    for magic, what in _SPREADSHEET_MAGIC.items():
        if data.startswith(magic):
            return None, [Problem(file, None, None, None, "not-csv", f"is not a CSV text file but {what}", SAVE_AS_CSV)]
    for bom, name in _UTF16_32_BOMS.items():
        if data.startswith(bom):
            return None, [
                Problem(
                    file,
                    None,
                    None,
                    None,
                    "encoding",
                    f"is encoded as {name} (a spreadsheet's 'Unicode text' export), not UTF-8",
                    SAVE_AS_CSV + ", or re-encode the file to UTF-8",
                )
            ]
    if data.count(b"\x00") > len(data) // 4:
        return None, [
            Problem(
                file,
                None,
                None,
                None,
                "encoding",
                "is full of NUL bytes: it looks like UTF-16 without a byte-order mark, not UTF-8",
                SAVE_AS_CSV + ", or re-encode the file to UTF-8",
            )
        ]
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]  # a UTF-8 byte-order mark: harmless, dropped
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError as e:
        return None, [_encoding_problem(data, e, file)]


def _guess_encoding(data: bytes) -> str:
    """The single-byte encoding the file most probably is (charset-normalizer's ranking, preferring
    decodings where the non-ASCII bytes are letters, and the usual spreadsheet default on a tie)."""
    from charset_normalizer import from_bytes  # only needed for a file that is not UTF-8

    ranked = [m.encoding for m in from_bytes(data, cp_isolation=list(_ENCODING_NAMES))]
    ranked += [c for c in _ENCODING_NAMES if c not in ranked]

    def decoded(codec: str) -> str | None:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            return None

    def letters(codec: str) -> float:
        text = decoded(codec)
        odd = [c for c in text or "" if ord(c) > 127]
        return sum(c.isalpha() for c in odd) / len(odd) if odd else 0.0

    best = max(ranked, key=lambda c: (letters(c), -ranked.index(c)))
    for usual in ("cp1252", "cp1250"):
        if decoded(usual) is not None and decoded(usual) == decoded(best):
            return usual
    return best


def _round_trips(data: bytes, codec: str) -> bool:
    try:
        return data.decode(codec).encode(codec) == data
    except (UnicodeDecodeError, UnicodeEncodeError):
        return False


def _holds_utf8(data: bytes) -> bool:
    """Whether the file has UTF-8 multi-byte characters besides its bad bytes."""
    return any(ord(c) > 127 and c != "\ufffd" for c in data.decode("utf-8", errors="replace"))


def _encoding_problem(data: bytes, e: UnicodeDecodeError, file: str) -> Problem:
    start = data.rfind(b"\n", 0, e.start) + 1
    line = data[: e.start].count(b"\n") + 1
    utf8 = _holds_utf8(data)
    codec = None if utf8 else _guess_encoding(data)
    if codec is None or not _round_trips(data, codec):
        end = data.find(b"\n", e.start)
        text = data[start : end if end != -1 else len(data)].rstrip(b"\r").decode("utf-8", errors="replace")
        col = len(data[start : e.start].decode("utf-8", errors="replace")) + 1
        return Problem(
            file,
            line,
            None,
            None,
            "encoding",
            f"is not valid UTF-8: byte {data[e.start]:#04x} on line {line}, column {col} cannot be read "
            f"(…{text[max(0, col - 21) : col + 19]}…, shown as �)"
            + ("; the rest of the file is UTF-8" if utf8 else ""),
            f"retype the character at line {line}, column {col} and save the file as UTF-8; do not "
            "convert the whole file to another encoding, which would change every other accented letter",
        )
    name = _ENCODING_NAMES.get(codec, codec)
    end = data.find(b"\n", e.start)
    shown = data[start : end if end != -1 else len(data)].rstrip(b"\r").decode(codec, errors="replace")
    col = len(data[start : e.start].decode(codec, errors="replace"))
    return Problem(
        file,
        line,
        None,
        None,
        "encoding",
        f"is not UTF-8 (byte {data[e.start]:#04x} on line {line}); it is probably {name}, "
        f"in which this line reads …{shown[max(0, col - 20) : col + 20]}…",
        SAVE_AS_CSV + f", or re-encode it: iconv -f {codec.replace('_', '-').upper()} -t UTF-8",
    )

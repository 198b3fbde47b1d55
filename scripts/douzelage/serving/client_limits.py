"""Per-client limits for the site: no address may hold more than its share of the workers.

Each client (by IP address) may have at most MAX_CONCURRENT requests in progress, and spends from a
bucket of SQL time: every statement is charged, when it ends, the time it held one of the worker's SQL
threads (scripts/douzelage/serve.py), and the bucket refills at REFILL_PER_S up to CAPACITY_S. A client
whose bucket is empty, or that is at its limit of requests, gets 429 with `Retry-After` (the seconds
until it may ask again), fast and without touching Datasette.

And one client's SQL runs one request at a time: a request's statements (a table page runs its facets
side by side) wait up to SQL_WAIT_S for those of the address's other request to end, and past that it
gets 429 too. A visitor's statements take a millisecond or two, so its browser's parallel requests pass
in turn; a runaway query, stopped at the 1 s time limit, holds the address's turn for that second. So a
client cannot start several runaway queries at once when its bucket refills (what made a request wait
3.2 s for a SQL thread in `make soak`): four hostile addresses hold at most four of the SQL threads, and
no request waits longer than SQL_WAIT_S for its turn. (Rendering a page is bounded by the page size; SQL
is not.)

The workers are separate processes (one per core, SO_REUSEPORT) and the kernel spreads one client's
connections over all of them, so the accounting is shared: a table of SLOTS fixed-size records in one
anonymous shared memory map, made by the serving process before it forks the workers, guarded by one
process-shared lock (each update is a few microseconds). An address is hashed to a slot and a few
neighbours; an idle record (nothing in flight, bucket full) is reused for a new address.
"""

from __future__ import annotations

import asyncio
import contextvars
import ipaddress
import json
import math
import mmap
import multiprocessing
import struct
import time
import zlib

from datasette.utils.asgi import Base400

from douzelage.serving.http_log import log_line

MAX_CONCURRENT = 6  # a browser opens up to six connections to a site
CAPACITY_S = 3.0
REFILL_PER_S = 0.1
SLOTS = 8192
PROBES = 8
LOG_EVERY_S = 10.0  # a refused client is named in the log at most this often
SQL_WAIT_S = 0.25  # how long a request waits for the turn of its address's SQL
# address, in flight, refused since logged, balance, updated, logged, requests of the address in SQL
_RECORD = struct.Struct("16s i i d d d i")
_REQUEST: contextvars.ContextVar[Request] = contextvars.ContextVar("request")


class TooMuchSql(Base400):
    """A request's statement refused: its address is out of SQL time, or its other SQL has not ended. A
    client error (Base400), so Datasette's handler prints no traceback for it."""

    status = 429

    def __init__(self, wait: int, log: bool = True, refused: int = 0):
        super().__init__(too_many_message(wait))
        self.wait, self.log, self.refused = wait, log, refused


class Request:
    """One admitted request: its address's record, and how many of its statements are running."""

    def __init__(self, table: ClientTable, slot: int, key: bytes):
        self.table, self.slot, self.key = table, slot, key
        self.running = 0
        self.spent = 0.0


class ClientTable:
    def __init__(self, slots: int = SLOTS):
        self.slots = slots
        self.memory = mmap.mmap(-1, slots * _RECORD.size)  # MAP_SHARED: the forked workers see one table
        self.lock = multiprocessing.Lock()

    def _find(self, key: bytes, now: float) -> int:
        start = zlib.crc32(key) % self.slots
        reusable = None
        for i in range(PROBES):
            slot = (start + i) % self.slots
            address, flight, _refused, balance, updated, _logged, _in_sql = self._read(slot)
            if address == key:
                return slot
            idle = address == bytes(16) or (flight == 0 and balance + (now - updated) * REFILL_PER_S >= CAPACITY_S)
            if idle and reusable is None:
                reusable = slot
        slot = start if reusable is None else reusable  # all neighbours busy: share the first
        self._write(slot, key, 0, 0, CAPACITY_S, now, 0.0, 0)
        return slot

    def _read(self, slot: int) -> tuple:
        return _RECORD.unpack_from(self.memory, slot * _RECORD.size)

    def _write(self, slot: int, *record) -> None:
        _RECORD.pack_into(self.memory, slot * _RECORD.size, *record)

    def admit(self, key: bytes, now: float) -> tuple[int | None, float, bool, int]:
        """(slot, 0, False, 0) if the client may go on; else (None, seconds to wait, whether to log it
        (once in LOG_EVERY_S per address), how many refusals were not logged since)."""
        with self.lock:
            slot = self._find(key, now)
            _, flight, refused, balance, updated, logged, in_sql = self._read(slot)
            balance = min(CAPACITY_S, balance + (now - updated) * REFILL_PER_S)
            if flight < MAX_CONCURRENT and balance > 0:
                self._write(slot, key, flight + 1, refused, balance, now, logged, in_sql)
                return slot, 0.0, False, 0
            self._write(slot, key, flight, refused, balance, now, logged, in_sql)
            log, refused = self._refusal(slot, now)
            return None, 1.0 if balance > 0 else _refill_wait(balance), log, refused

    def _refusal(self, slot: int, now: float) -> tuple[bool, int]:
        """Count a refusal of the slot's address (the lock held): whether to log it (once in LOG_EVERY_S
        per address), and how many refusals were not logged since."""
        address, flight, refused, balance, updated, logged, in_sql = self._read(slot)
        log = now - logged >= LOG_EVERY_S
        self._write(slot, address, flight, 0 if log else refused + 1, balance, updated, now if log else logged, in_sql)
        return log, refused

    def refuse_sql(self, slot: int, key: bytes, now: float) -> tuple[bool, int]:
        """A statement refused its turn: as admit's refusals, whether to log it and how many were not."""
        with self.lock:
            if self._read(slot)[0] != key:
                return False, 0
            return self._refusal(slot, now)

    def release(self, slot: int, key: bytes, now: float) -> None:
        with self.lock:
            address, flight, refused, balance, updated, logged, in_sql = self._read(slot)
            if address == key:  # else the record went to another address meanwhile: nothing to do
                self._write(slot, key, max(0, flight - 1), refused, balance, updated, logged, in_sql)

    def enter_sql(self, slot: int, key: bytes, now: float) -> float:
        """Take the address's turn for SQL: 0 if taken; else the seconds to wait (for the turn, a
        moment; for an empty bucket, until it has refilled)."""
        with self.lock:
            address, flight, refused, balance, updated, logged, in_sql = self._read(slot)
            if address != key:
                return 0.0
            balance = min(CAPACITY_S, balance + (now - updated) * REFILL_PER_S)
            if balance <= 0:
                return _refill_wait(balance)
            if in_sql:
                return SQL_WAIT_S
            self._write(slot, key, flight, refused, balance, now, logged, 1)
            return 0.0

    def leave_sql(self, slot: int, key: bytes, cost: float, now: float) -> None:
        """Give back the turn, and charge the SQL time the request's statements took."""
        with self.lock:
            address, flight, refused, balance, updated, logged, _ = self._read(slot)
            if address == key:
                balance = min(CAPACITY_S, balance + (now - updated) * REFILL_PER_S) - cost
                self._write(slot, key, flight, refused, balance, now, logged, 0)


def _refill_wait(balance: float) -> float:
    return -balance / REFILL_PER_S + 0.1


def address_bytes(address: str) -> bytes:
    """An IP address as the table keys it (16 bytes); ValueError if it is not one."""
    return ipaddress.ip_address(address).packed.rjust(16, b"\0")


def address_key(scope: dict) -> bytes:
    host = (scope.get("client") or ("0.0.0.0",))[0]
    try:
        return address_bytes(host)
    except ValueError:
        return zlib.crc32(host.encode()).to_bytes(16, "big")


def count_sql_time(datasette) -> None:
    """Run each request's statements in its address's turn, and charge it the time they held their SQL
    thread. Statements outside a request (the startup's) and those of Datasette's own _internal database
    (its schema cache, refreshed on every request) are neither held nor charged."""
    for name, db in datasette.databases.items():
        if not name.startswith("_"):
            db.execute_fn = _in_turn(db.execute_fn)


def _in_turn(execute_fn):
    async def in_turn(fn):
        request = _REQUEST.get(None)
        if request is None:
            return await execute_fn(fn)
        if request.running == 0:
            await _take_turn(request)
        request.running += 1
        spent = [0.0]

        def measured(conn):
            started = time.perf_counter()
            try:
                return fn(conn)
            finally:
                spent[0] = time.perf_counter() - started

        try:
            return await execute_fn(measured)
        finally:
            request.running -= 1
            request.spent += spent[0]
            if request.running == 0:
                request.table.leave_sql(request.slot, request.key, request.spent, time.monotonic())
                request.spent = 0.0

    return in_turn


async def _take_turn(request: Request) -> None:
    deadline = time.monotonic() + SQL_WAIT_S
    while True:
        if request.running:  # another statement of this request took the turn while this one waited
            return
        wait = request.table.enter_sql(request.slot, request.key, time.monotonic())
        if wait == 0:
            return
        if wait > SQL_WAIT_S or time.monotonic() >= deadline:
            log, refused = request.table.refuse_sql(request.slot, request.key, time.monotonic())
            raise TooMuchSql(math.ceil(max(wait, 1.0)), log, refused)
        await asyncio.sleep(0.005)


def limited(app, table: ClientTable, trusted: frozenset[bytes] = frozenset()):
    """The ASGI app, answering 429 to a client past its limits; `trusted` addresses are not limited."""

    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        key = address_key(scope)
        if key in trusted:
            return await app(scope, receive, _timed(send))
        slot, wait, log, refused = table.admit(key, time.monotonic())
        if slot is None:
            if log:
                log_line(
                    429,
                    scope,
                    f"too many requests or too much SQL time from this address: asked to wait "
                    f"{math.ceil(wait)} s ({refused} more refused since its last line)",
                )
            await _too_many(send, math.ceil(wait), scope)
            return
        _REQUEST.set(Request(table, slot, key))
        try:
            await app(scope, receive, _timed(send))
        finally:
            table.release(slot, key, time.monotonic())

    return guarded


def _timed(send):
    """`send`, adding how long the server worked on the request before answering, as a standard
    Server-Timing header: what `make soak` reads to show no request runs past the time limit."""
    started = time.perf_counter()

    async def timed_send(message):
        if message["type"] == "http.response.start":
            took = (time.perf_counter() - started) * 1000
            message = {
                **message,
                "headers": [*message.get("headers", []), (b"server-timing", f"app;dur={took:.1f}".encode())],
            }
        await send(message)

    return timed_send


def too_many_message(wait: int) -> str:
    return f"Too many requests from your address: try again in {wait} s."


def too_many_answer(wait: int, path: str) -> tuple[bytes, str]:
    """The 429's body and content type: JSON for an API path, else a short HTML page."""
    message = too_many_message(wait)
    if path.endswith(".json"):
        return json.dumps(
            {"ok": False, "error": message, "status": 429, "title": None}
        ).encode(), "application/json; charset=utf-8"
    page = f'<!DOCTYPE html>\n<html lang="en"><title>Too many requests</title><p>{message}</p></html>\n'
    return page.encode(), "text/html; charset=utf-8"


async def _too_many(send, wait: int, scope: dict) -> None:
    body, kind = too_many_answer(wait, scope.get("path", ""))
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", kind.encode()),
                (b"retry-after", str(wait).encode()),
                (b"content-length", str(len(body)).encode()),
                (b"access-control-allow-origin", b"*"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

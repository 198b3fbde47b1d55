"""Per-client limits for the site: no address may hold more than its share of the workers.

Each client (by IP address) may have at most MAX_CONCURRENT requests in progress, and spends from a
bucket of SQL time: every request is charged the time its queries held one of the worker's SQL threads
(scripts/douzelage/serve.py),
and the bucket refills at REFILL_PER_S up to CAPACITY_S. A client whose bucket is empty, or that is at
its limit of requests, gets 429 with `Retry-After` (the seconds until it may ask again), fast and
without touching Datasette. A visitor's page costs a millisecond or two of SQL; a runaway query, stopped
at the 1 s time limit, costs a second, so one client can run three at once and then one every ten
seconds, not one per worker all the time. (Rendering a page is bounded by the page size; SQL is not.)

The workers are separate processes (one per core, SO_REUSEPORT) and the kernel spreads one client's
connections over all of them, so the accounting is shared: a table of SLOTS fixed-size records in one
anonymous shared memory map, made by the serving process before it forks the workers, guarded by one
process-shared lock (each update is a few microseconds). An address is hashed to a slot and a few
neighbours; an idle record (nothing in flight, bucket full) is reused for a new address.
"""

from __future__ import annotations

import contextvars
import ipaddress
import math
import mmap
import multiprocessing
import struct
import time
import zlib

from douzelage.serving.http_log import log_line

MAX_CONCURRENT = 6  # a browser opens up to six connections to a site
CAPACITY_S = 3.0
REFILL_PER_S = 0.1
SLOTS = 8192
PROBES = 8
LOG_EVERY_S = 10.0  # a refused client is named in the log at most this often
_RECORD = struct.Struct("16s i i d d d")  # address, in flight, refused since logged, balance, updated, logged
_SQL_SECONDS: contextvars.ContextVar[list] = contextvars.ContextVar("sql_seconds")


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
            address, flight, _refused, balance, updated, _logged = self._read(slot)
            if address == key:
                return slot
            idle = address == bytes(16) or (flight == 0 and balance + (now - updated) * REFILL_PER_S >= CAPACITY_S)
            if idle and reusable is None:
                reusable = slot
        slot = start if reusable is None else reusable  # all neighbours busy: share the first
        self._write(slot, key, 0, 0, CAPACITY_S, now, 0.0)
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
            _, flight, refused, balance, updated, logged = self._read(slot)
            balance = min(CAPACITY_S, balance + (now - updated) * REFILL_PER_S)
            if flight < MAX_CONCURRENT and balance > 0:
                self._write(slot, key, flight + 1, refused, balance, now, logged)
                return slot, 0.0, False, 0
            wait = 1.0 if balance > 0 else -balance / REFILL_PER_S + 0.1
            log = now - logged >= LOG_EVERY_S
            self._write(slot, key, flight, 0 if log else refused + 1, balance, now, now if log else logged)
            return None, wait, log, refused

    def release(self, slot: int, key: bytes, cost: float, now: float) -> None:
        with self.lock:
            address, flight, refused, balance, updated, logged = self._read(slot)
            if address != key:  # the record went to another address meanwhile: nothing to do
                return
            balance = min(CAPACITY_S, balance + (now - updated) * REFILL_PER_S) - cost
            self._write(slot, key, max(0, flight - 1), refused, balance, now, logged)


def address_key(scope: dict) -> bytes:
    host = (scope.get("client") or ("0.0.0.0",))[0]
    try:
        return ipaddress.ip_address(host).packed.rjust(16, b"\0")
    except ValueError:
        return zlib.crc32(host.encode()).to_bytes(16, "big")


def count_sql_time(datasette) -> None:
    """Charge the time each query holds its SQL thread to the request that ran it."""
    for db in datasette.databases.values():
        db.execute_fn = _timed_execute_fn(db.execute_fn)


def _timed_execute_fn(execute_fn):
    async def timed(fn):
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
            total = _SQL_SECONDS.get(None)
            if total is not None:
                total[0] += spent[0]

    return timed


def limited(app, table: ClientTable):
    """The ASGI app, answering 429 to a client past its limits."""

    async def guarded(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        key = address_key(scope)
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
        sql_seconds = [0.0]
        _SQL_SECONDS.set(sql_seconds)
        started = time.perf_counter()

        async def timed_send(message):
            # How long the server worked on this request before answering, as a standard Server-Timing
            # header: what `make soak` reads to show no request runs past the time limit.
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - started) * 1000
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"server-timing", f"app;dur={took:.1f}".encode())],
                }
            await send(message)

        try:
            await app(scope, receive, timed_send)
        finally:
            table.release(slot, key, sql_seconds[0], time.monotonic())

    return guarded


async def _too_many(send, wait: int, scope: dict) -> None:
    message = f"Too many requests from your address: try again in {wait} s."
    if scope.get("path", "").endswith(".json"):
        body = (f'{{"ok": false, "error": "{message}", "status": 429, "title": null}}').encode()
        kind = b"application/json; charset=utf-8"
    else:
        body = f'<!DOCTYPE html>\n<html lang="en"><title>Too many requests</title><p>{message}</p></html>\n'.encode()
        kind = b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", kind),
                (b"retry-after", str(wait).encode()),
                (b"content-length", str(len(body)).encode()),
                (b"access-control-allow-origin", b"*"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

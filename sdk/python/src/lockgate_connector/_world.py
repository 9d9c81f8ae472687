"""The generated world's exports, answered by the module's
:class:`~lockgate_connector.Connector`. Exceptions become the contract's
error values; an unexpected one is logged with its traceback and fails the
call as ``other`` (a webhook gets a 500), so the run's reason names it.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from . import _bindings as _b
from . import log
from .connector import Connector, WebhookRequest, WebhookResponse, exported
from .errors import ConfigError, ConnectorError


def _connector() -> Connector:
    return exported()()


def _unexpected(error: BaseException, call: str) -> str:
    log.error(f"{call} failed:\n{''.join(traceback.format_exception(error))}")
    return f"{type(error).__name__}: {error}"


def _result(call: str, run: Callable[[], Any]) -> None:
    try:
        run()
    except MemoryError:
        # Out of memory: the host's limiter recorded why; let the instance
        # die rather than run Python code without memory.
        raise
    except ConnectorError as e:
        raise _b.Err(e.to_wit()) from None
    except Exception as e:
        raise _b.Err(_b.types.ConnectorError_Other(_unexpected(e, call))) from None


class WitWorld(_b.world.WitWorld):
    def validate_config(self, config: list[tuple[str, str]]) -> None:
        try:
            _connector().validate_config(dict(config))
        except ConfigError as e:
            raise _b.Err(list(e.errors)) from None
        except Exception as e:
            # validate-config has no error case for this: the call traps.
            _unexpected(e, "validate-config")
            raise

    def check_connection(self) -> None:
        _result("check-connection", lambda: _connector().check_connection())

    def sync(self, trigger: Any) -> None:
        _result("sync", lambda: _connector().sync(trigger))

    def on_event(self, event: Any) -> None:
        _result("on-event", lambda: _connector().on_event(event))

    def handle_webhook(self, request: Any) -> Any:
        try:
            wrapped = WebhookRequest(
                method=request.method,
                path=request.path,
                headers=request.headers,
                body=request.body,
                received_at=request.received_at,
            )
            return _connector().handle_webhook(wrapped)
        except MemoryError:
            raise
        except Exception as e:
            _unexpected(e, "handle-webhook")
            return WebhookResponse.json(500, {"error": "the connector failed"})


"""The bindings componentize-py generates for the ``connector`` world at
build time (the ``wit_world`` package), confined here. The rest of the SDK
uses the names below; a connector never imports ``wit_world`` itself.
"""

from componentize_py_types import Err

import wit_world as world
from wit_world.imports import attendances as attendances
from wit_world.imports import config as config
from wit_world.imports import hr as hr
from wit_world.imports import lockgate_connector_types as types
from wit_world.imports import log as log
from wit_world.imports import monotonic_clock as monotonic_clock
from wit_world.imports import outcomes as outcomes
from wit_world.imports import outgoing_handler as outgoing_handler
from wit_world.imports import recruiting as recruiting
from wit_world.imports import state as state
from wit_world.imports import streams as streams
from wit_world.imports import wasi_http_types as http_types

__all__ = [
    "Err",
    "attendances",
    "config",
    "hr",
    "http_types",
    "log",
    "monotonic_clock",
    "outcomes",
    "outgoing_handler",
    "recruiting",
    "state",
    "streams",
    "types",
    "world",
]

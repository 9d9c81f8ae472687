"""Generates the ``wit_world`` bindings for these tests (as the build does
for a connector) and puts them on ``sys.path``. In CPython the host's
functions are stubs; each test replaces the ones it needs."""

import subprocess
import sys
import tempfile
from pathlib import Path

from lockgate_connector.build import WIT, WORLD, _componentize_py

_DIR = Path(tempfile.mkdtemp(prefix="lockgate-sdk-tests-"))


def load() -> None:
    if str(_DIR) in sys.path:
        return
    subprocess.run(
        [*_componentize_py(), "--wit-path", str(WIT), "--world", WORLD, "--quiet", "bindings", str(_DIR)],
        check=True,
    )
    sys.path.insert(0, str(_DIR))


load()

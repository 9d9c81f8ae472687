"""Builds a Python connector into one ``.wasm`` component.

``python -m lockgate_connector.build DIR`` (or ``lockgate-build-py DIR``)
reads ``DIR/connector.toml``, runs componentize-py against the
``connector`` world of the WIT this package carries, with the connector's
module (``DIR/app.py`` unless ``--module`` names another) and this SDK,
and appends the manifest as the ``lockgate-manifest`` custom section. The
result (``DIR/dist/<id>.wasm`` unless ``-o`` says otherwise) is the whole
product: nothing else to ship.

Runs in a plain Python >= 3.11 with componentize-py installed
(``pip install --require-hashes -r requirements-build.txt``).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from importlib import metadata
from pathlib import Path

#: The componentize-py release the SDK is built and tested with.
COMPONENTIZE_PY = "0.25.1"
#: The custom section the host reads the manifest from.
MANIFEST_SECTION = "lockgate-manifest"
#: The WIT world connectors target.
WORLD = "connector"

PACKAGE = Path(__file__).resolve().parent
#: The contract this SDK targets, as the package carries it.
WIT = PACKAGE / "wit"

_ENTRY = "lockgate_main"
_SKIP = {"__pycache__", "dist", "build", "node_modules", ".venv", "venv"}


class BuildError(Exception):
    """What went wrong, and what to do about it."""


def _leb128(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def custom_section(name: str, data: bytes) -> bytes:
    """A custom section, as it may be appended to a component: id 0, the
    payload's size, the name's size, the name, the data."""
    payload = _leb128(len(name.encode())) + name.encode() + data
    return b"\x00" + _leb128(len(payload)) + payload


def read_manifest(folder: Path) -> tuple[bytes, dict]:
    path = folder / "connector.toml"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BuildError(f"{path} is missing: every connector carries its manifest") from None
    try:
        manifest = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
        raise BuildError(f"{path} is not valid TOML: {e}") from None
    if not isinstance(manifest.get("id"), str) or not manifest["id"]:
        raise BuildError(f"{path} has no `id`")
    return raw, manifest


def _copy_sources(src: Path, dest: Path) -> None:
    """The Python files under ``src``, without build output or caches."""
    for path in src.rglob("*.py"):
        relative = path.relative_to(src)
        if any(part in _SKIP or part.startswith(".") for part in relative.parts[:-1]):
            continue
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)


def _componentize_py() -> list[str]:
    try:
        version = metadata.version("componentize-py")
    except metadata.PackageNotFoundError:
        raise BuildError(
            f"componentize-py is not installed in {sys.executable}; install the pinned toolchain: "
            "pip install --require-hashes --only-binary=:all: -r requirements-build.txt "
            f"(componentize-py=={COMPONENTIZE_PY})"
        ) from None
    if version != COMPONENTIZE_PY:
        raise BuildError(
            f"componentize-py {version} is installed; this SDK is built with {COMPONENTIZE_PY} "
            f"(pip install componentize-py=={COMPONENTIZE_PY})"
        )
    launcher = "import sys; from componentize_py import script; sys.argv[0] = 'componentize-py'; sys.exit(script())"
    return [sys.executable, "-c", launcher]


def build(folder: Path, output: Path | None = None, module: str = "app", quiet: bool = False) -> Path:
    """Builds the connector in ``folder``; returns the ``.wasm`` written."""
    folder = folder.resolve()
    manifest_bytes, manifest = read_manifest(folder)
    if not (folder / f"{module}.py").is_file() and not (folder / module / "__init__.py").is_file():
        raise BuildError(f"no module {module!r} in {folder} (expected {module}.py); name it with --module")
    if not (WIT / "connector.wit").is_file():
        raise BuildError(f"the SDK's WIT is missing at {WIT}")
    output = (output or folder / "dist" / f"{manifest['id'].replace('-', '_')}.wasm").resolve()
    command = _componentize_py()

    with tempfile.TemporaryDirectory(prefix="lockgate-build-") as tmp:
        tmp = Path(tmp)
        lib = tmp / "lib"
        _copy_sources(folder, lib)
        _copy_sources(PACKAGE, lib / "lockgate_connector")
        (lib / f"{_ENTRY}.py").write_text(
            f"import {module}  # noqa: F401 - defines the connector\n"
            "from lockgate_connector._world import WitWorld  # noqa: F401\n"
            "from lockgate_connector.connector import exported\n"
            "\n"
            "# One Connector subclass, or the build fails saying so.\n"
            "exported()\n"
        )
        component = tmp / "component.wasm"
        env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
        started = time.monotonic()
        result = subprocess.run(
            [
                *command,
                "--wit-path",
                str(WIT),
                "--world",
                WORLD,
                "--quiet",
                "componentize",
                "--python-path",
                str(lib),
                _ENTRY,
                "--output",
                str(component),
            ],
            cwd=tmp,
            env=env,
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise BuildError(
                f"componentize-py could not build {folder.name}:\n{result.stdout}{result.stderr}".rstrip()
            )
        wasm = component.read_bytes() + custom_section(MANIFEST_SECTION, manifest_bytes)
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(output.name + ".partial")
        partial.write_bytes(wasm)
        partial.replace(output)
    if not quiet:
        seconds = time.monotonic() - started
        print(f"{output} ({len(wasm) / 1e6:.1f} MB, {manifest['id']} {manifest.get('version', '')}, {seconds:.0f} s)")
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lockgate-build-py",
        description="Build a Python connector into one .wasm component carrying its manifest.",
    )
    parser.add_argument("folder", nargs="?", default=".", type=Path, help="the connector's folder (with connector.toml)")
    parser.add_argument("-m", "--module", default="app", help="the module defining the Connector subclass (default: app)")
    parser.add_argument("-o", "--output", type=Path, help="where to write the .wasm (default: FOLDER/dist/<id>.wasm)")
    parser.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    try:
        build(args.folder, args.output, args.module, args.quiet)
    except BuildError as e:
        print(f"lockgate-build-py: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Hooks for the API fuzzer (run.sh): a connector upload is sent as bytes."""

import schemathesis

schemathesis.serializer.alias("application/wasm", "application/octet-stream")

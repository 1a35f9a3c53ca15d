"""Apple pass manifest: a JSON map of every file in the pass to its SHA-1 hash (hex).

Wallet rejects the pass if any file's hash differs from the manifest, or if the archive holds
a file the manifest does not list ("No entry in manifest for file ...").
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping


def sha1_hex(data: bytes) -> str:
    """The manifest's hash of one file."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


def build_manifest(hashes: Mapping[str, str]) -> bytes:
    """Serialise ``{path: sha1 hex}`` as compact JSON with sorted keys (deterministic bytes)."""
    return json.dumps(dict(sorted(hashes.items())), separators=(",", ":")).encode("ascii")

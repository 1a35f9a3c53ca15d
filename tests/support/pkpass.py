"""Checks every test makes on a ``.pkpass``: openssl verifies the signature against the
development root, every manifest hash matches, no file is unlisted, and pass.json fits the
schema of Apple's documented keys."""

from __future__ import annotations

import hashlib
import io
import json
import re
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from tests.support.pass_schema import PASS_SCHEMA

# Files sit at the top level, except each language's strings (Apple: "Localizing Passes").
_LPROJ_STRINGS = re.compile(r"^[a-z]{2,3}(-[A-Z][a-z]{3})?\.lproj/pass\.strings$")


@dataclass
class VerifiedPass:
    pass_json: dict[str, Any]
    manifest: dict[str, str]
    names: list[str]
    infos: dict[str, zipfile.ZipInfo]
    certificates: str
    cms_dump: str


def _openssl(*args: str) -> str:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, f"openssl {' '.join(args)} failed: {result.stderr}"
    return result.stdout + result.stderr


def verify_pkpass(data: bytes, root_ca: Path) -> VerifiedPass:
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    assert len(names) == len(set(names)), "duplicate archive members"
    nested = [name for name in names if "/" in name]
    assert all(_LPROJ_STRINGS.match(name) for name in nested), f"not at the top level: {nested}"
    manifest = json.loads(archive.read("manifest.json"))
    listed = set(manifest)
    on_disk = set(names) - {"manifest.json", "signature"}
    assert on_disk == listed, f"unlisted or missing files: {on_disk ^ listed}"
    for name, digest in manifest.items():
        assert hashlib.sha1(archive.read(name)).hexdigest() == digest, f"hash mismatch: {name}"
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        archive.extractall(folder)
        signature, content = str(folder / "signature"), str(folder / "manifest.json")
        out = _openssl(
            "cms", "-verify", "-binary", "-inform", "DER", "-in", signature,
            "-content", content, "-CAfile", str(root_ca), "-purpose", "any", "-out", "/dev/null",
        )  # fmt: skip
        assert "Verification successful" in out
        certificates = _openssl(
            "pkcs7", "-inform", "DER", "-in", signature, "-print_certs", "-noout"
        )
        cms_dump = _openssl("cms", "-cmsout", "-print", "-inform", "DER", "-in", signature)
    raw = archive.read("pass.json")
    assert not raw.startswith(b"\xef\xbb\xbf"), "pass.json must not start with a BOM"
    body = json.loads(raw)
    jsonschema.validate(body, PASS_SCHEMA)
    return VerifiedPass(
        pass_json=body,
        manifest=manifest,
        names=names,
        infos={info.filename: info for info in archive.infolist()},
        certificates=certificates,
        cms_dump=cms_dump,
    )

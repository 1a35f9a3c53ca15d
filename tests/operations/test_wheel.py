"""The built wheel alone runs the service: installed into a fresh virtual environment outside
the checkout, ``loyalpass --version``, ``migrate`` and ``demo`` work from another directory,
with the card templates, page templates and migrations the wheel carries.

The wheel is built offline (``uv build --offline``: hatchling comes from uv's cache, where
installing the project put it). The fresh environment gets the wheel without its
dependencies, and reaches the dependencies through a ``.pth`` naming this environment's
site-packages: the wheel's own files, never the checkout, are what runs.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import threading
import time
import tomllib
import zipfile
from pathlib import Path

import httpx2
import pytest

from tests.conftest import PROJECT_ROOT
from tests.support.pkpass import verify_pkpass
from tests.support.server import free_port

UV = Path(sys.executable).parent / "uv"


def _version() -> str:
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    return str(project["version"])


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [str(UV), "build", "--wheel", "--offline", "--quiet", "--out-dir", str(out)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    # offline, hatchling must be in uv's cache: `make` (uv sync) put it there when it built
    # the project; a cleaned cache needs one online `uv build` (or `make` again)
    assert built.returncode == 0, f"uv build --wheel --offline failed:\n{built.stderr}"
    [path] = out.glob("loyalpass-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv holding the wheel; returns its bin directory."""
    venv = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [str(UV), "pip", "install", "--offline", "--no-deps", "--quiet",
         "--python", str(python), str(wheel)],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    (Path(purelib) / "loyalpass-test-deps.pth").write_text(sysconfig.get_paths()["purelib"])
    return venv / "bin"


def _env() -> dict[str, str]:
    """The environment of an operator's shell: no loyalpass settings, nothing on PYTHONPATH."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOYALPASS_")}
    env.pop("PYTHONPATH", None)
    return {**env, "PYTHONUNBUFFERED": "1"}


def _run(bin_dir: Path, cwd: Path, *args: str) -> str:
    result = subprocess.run(
        [str(bin_dir / "loyalpass"), *args],
        cwd=cwd, env=_env(), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class TestWheel:
    def test_carries_the_data_the_service_reads(self, wheel: Path) -> None:
        names = set(zipfile.ZipFile(wheel).namelist())
        assert "api/_data/templates/cards/coffee/design.toml" in names
        assert "api/_data/templates/pages/join.html" in names
        assert "api/_data/templates/messages/base.html" in names
        assert "api/_data/migrations/env.py" in names
        shipped = {p.name for p in (PROJECT_ROOT / "migrations" / "versions").glob("*.py")}
        packed = {n.rsplit("/", 1)[1] for n in names if n.startswith("api/_data/migrations/v")}
        assert packed == shipped
        assert not [n for n in names if n.endswith((".key", ".p12", ".pyc"))]

    def test_migrates_and_runs_the_demo_outside_the_checkout(
        self, installed: Path, tmp_path: Path
    ) -> None:
        where = subprocess.run(
            [str(installed / "python"), "-c", "import api; print(api.__file__)"],
            cwd=tmp_path, env=_env(), capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert Path(where).is_relative_to(installed.parent), where
        assert _run(installed, tmp_path, "--version").strip() == f"loyalpass {_version()}"
        assert "database schema is current" in _run(installed, tmp_path, "migrate")
        assert (tmp_path / "loyalpass.db").exists()  # the default database, in the cwd
        port = free_port()
        process = subprocess.Popen(
            [str(installed / "loyalpass"), "demo", "--port", str(port)],
            cwd=tmp_path, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 120  # a loaded machine starts slowly
            while not any("staff scanner:" in line for line in lines):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("loyalpass demo did not come up:\n" + "".join(lines))
                time.sleep(0.1)
            output = "".join(lines)
            pass_url = re.search(r"Apple pass:\s+(\S+)", output)
            join_url = re.search(r"join page:\s+(\S+)", output)
            assert pass_url, output
            assert join_url, output
            with httpx2.Client(timeout=30) as http:
                while time.monotonic() < deadline:
                    try:
                        response = http.get(pass_url.group(1))
                        break
                    except httpx2.TransportError:
                        time.sleep(0.1)
                else:
                    pytest.fail("the demo server did not answer")
                assert response.status_code == 200
                root_ca = tmp_path / "loyalpass-dev-certs" / "apple" / "root-ca.pem"
                verify_pkpass(response.content, root_ca)
                join = http.get(join_url.group(1))
                assert join.status_code == 200
                assert "Bean &amp; Brew" in join.text
        finally:
            process.terminate()
            process.wait(timeout=30)
            reader.join(timeout=10)
            if process.stdout is not None:
                process.stdout.close()

"""The shipped process layout agrees with the code: every command the Dockerfile, compose.yaml,
the systemd units and docs/OPERATIONS.md run is a real ``loyalpass`` command whose options
parse, and every ``LOYALPASS_*`` variable they set is a real setting with a valid value.

No container engine runs where these tests run, so the files are checked, not started; the
same processes are started without containers by tests/api/test_cli.py and the wheel test.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
import typer.main
import yaml
from pydantic import TypeAdapter
from typer.testing import CliRunner

from api.cli import app
from api.settings import Settings
from tests.conftest import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "compose.yaml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
UNITS = sorted((PROJECT_ROOT / "deploy" / "systemd").glob("*.service"))
ENV_EXAMPLE = PROJECT_ROOT / "deploy" / "loyalpass.env.example"
OPERATIONS = PROJECT_ROOT / "docs" / "OPERATIONS.md"
_SUBSTITUTION = re.compile(r"\$\{(\w+)(?::-([^}]*)|:\?[^}]*)?\}")


def _substitute(value: str) -> str:
    """Compose's ``${VAR:-default}`` becomes the default, ``${VAR:?message}`` a stand-in."""
    return _SUBSTITUTION.sub(lambda m: m.group(2) if m.group(2) is not None else "x", value)


def _compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def _loyalpass_services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    return {n: s for n, s in services.items() if str(s.get("image", "")).startswith("loyalpass")}


def _unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit as section -> (key, value) pairs (keys may repeat)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = ""
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = line.strip("[]")
            sections[current] = []
            continue
        key, _, value = line.partition("=")
        sections[current].append((key, value))
    return sections


def _values(unit: dict[str, list[tuple[str, str]]], key: str) -> list[str]:
    return [v for k, v in unit.get("Service", []) if k == key]


def _dockerfile_json(instruction: str) -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    [line] = [x for x in text.splitlines() if x.startswith(f"{instruction} ")]
    found: list[str] = json.loads(line[line.index("[") :])
    return found


def _commands() -> list[tuple[str, list[str]]]:
    """(where, arguments after ``loyalpass``) for every loyalpass process the files start."""
    commands = [("Dockerfile CMD", _dockerfile_json("CMD"))]
    for name, service in _loyalpass_services().items():
        commands.append((f"compose {name}", [_substitute(str(a)) for a in service["command"]]))
    for path in UNITS:
        for exec_start in _values(_unit(path), "ExecStart"):
            binary, *arguments = shlex.split(exec_start)
            assert binary.endswith("/loyalpass"), f"{path.name}: {binary}"
            commands.append((path.name, arguments))
    unique = {(where, tuple(arguments)): arguments for where, arguments in commands}
    unique.update({(w, tuple(a)): a for w, a in _documented_commands()})
    return [(where, arguments) for (where, _), arguments in unique.items()]


def _documented_commands() -> list[tuple[str, list[str]]]:
    """The docs' command lines (``loyalpass ...`` or ``/opt/loyalpass/bin/loyalpass ...``)
    and inline commands (`` `loyalpass serve --workers N` ``: N reads as 2)."""
    text = OPERATIONS.read_text()
    found = []
    for line in text.splitlines():
        line = line.split(" #")[0].strip().removeprefix("$ ")
        if Path(line.partition(" ")[0]).name == "loyalpass" and "<" not in line:
            found.append(("docs/OPERATIONS.md", shlex.split(line)[1:]))
    for inline in re.findall(r"`(loyalpass [^`<]+)`", text):
        words = ["2" if word == "N" else word for word in shlex.split(inline)]
        found.append(("docs/OPERATIONS.md inline", words[1:]))
    return found


def _environments() -> list[tuple[str, dict[str, str]]]:
    found = [("Dockerfile ENV", _dockerfile_env())]
    for name, service in _loyalpass_services().items():
        environment = {k: _substitute(str(v)) for k, v in service["environment"].items()}
        found.append((f"compose {name}", environment))
    for path in UNITS:
        pairs = (v.partition("=") for v in _values(_unit(path), "Environment"))
        found.append((path.name, {k: v for k, _, v in pairs}))
    # the example's commented-out lines are settings too, once uncommented
    example = (x.lstrip("# ").partition("=") for x in ENV_EXAMPLE.read_text().splitlines())
    found.append((ENV_EXAMPLE.name, {k: v for k, sep, v in example if sep}))
    return found


def _dockerfile_env() -> dict[str, str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    [line] = [x for x in text.splitlines() if x.startswith("ENV PATH=")]
    return dict(pair.split("=", 1) for pair in shlex.split(line[4:]))


@pytest.mark.parametrize(("where", "arguments"), _commands(), ids=lambda v: str(v))
def test_every_command_is_a_real_cli_command_with_valid_options(
    where: str, arguments: list[str]
) -> None:
    name, *options = arguments
    if name.startswith("-"):  # an option of loyalpass itself: --version
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 0, f"{where}: {result.output}"
        return
    helped = CliRunner().invoke(app, [name, "--help"])
    assert helped.exit_code == 0, f"{where}: loyalpass {name} --help: {helped.output}"
    group: Any = typer.main.get_command(app)  # a TyperGroup (typer vendors its click)
    command = group.get_command(None, name)
    assert command is not None, where
    command.make_context(name, list(options))  # raises on an unknown option or a bad value


@pytest.mark.parametrize(("where", "environment"), _environments(), ids=lambda v: str(v)[:40])
def test_every_variable_is_a_real_setting_with_a_valid_value(
    where: str, environment: dict[str, str]
) -> None:
    fields = Settings.model_fields
    for key, value in environment.items():
        if not key.startswith("LOYALPASS_"):
            continue
        name = key.removeprefix("LOYALPASS_").lower()
        assert name in fields, f"{where}: {key} is no setting"
        TypeAdapter(fields[name].annotation).validate_python(value)


class TestFiles:
    def test_the_found_files_are_all_there(self) -> None:
        names = {p.name for p in UNITS}
        assert names == {
            "loyalpass-api.service",
            "loyalpass-migrate.service",
            "loyalpass-worker@.service",
        }
        kinds = {where.split()[0] for where, _ in _commands()}
        assert kinds >= {"Dockerfile", "compose", "docs/OPERATIONS.md", *names}

    def test_the_image_is_pinned_runs_unprivileged_and_checks_health(self) -> None:
        text = DOCKERFILE.read_text()
        bases = re.findall(r"^ARG PYTHON_IMAGE=(\S+)$", text, flags=re.MULTILINE)
        assert bases
        assert re.fullmatch(r"python:\d+\.\d+\.\d+-slim-\w+(@sha256:[0-9a-f]{64})?", bases[0])
        assert text.count("FROM ") >= 2  # multi-stage: the build tools stay behind
        users = re.findall(r"^USER (\S+)$", text, flags=re.MULTILINE)
        assert users
        assert users[-1] not in ("root", "0")
        healthcheck = " ".join(_dockerfile_json("HEALTHCHECK --interval=30s"))
        assert "/healthz" in healthcheck
        port = _dockerfile_json("CMD")[_dockerfile_json("CMD").index("--port") + 1]
        assert f":{port}/healthz" in healthcheck
        assert _dockerfile_json("ENTRYPOINT") == ["/opt/loyalpass/bin/loyalpass"]

    def test_compose_migrates_once_before_the_api_and_workers(self) -> None:
        compose = _compose()
        services = compose["services"]
        assert services["migrate"]["command"] == ["migrate"]
        assert services["migrate"]["restart"] == "no"
        for name in ("api", "worker"):
            wait = services[name]["depends_on"]["migrate"]["condition"]
            assert wait == "service_completed_successfully"
        assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services["worker"]["deploy"]["replicas"] >= 2
        assert "--workers" in services["api"]["command"]
        environment = services["api"]["environment"]
        assert environment["LOYALPASS_ENVIRONMENT"] == "production"
        secrets = set(compose["secrets"])
        for key in ("LOYALPASS_APPLE_CERT_FILE", "LOYALPASS_APPLE_KEY_FILE"):
            assert environment[key].removeprefix("/run/secrets/") in secrets

    def test_units_order_the_migration_first(self) -> None:
        units = {p.name: _unit(p) for p in UNITS}
        assert _values(units["loyalpass-migrate.service"], "Type") == ["oneshot"]
        for name in ("loyalpass-api.service", "loyalpass-worker@.service"):
            unit = dict(units[name]["Unit"])
            assert "loyalpass-migrate.service" in unit["Requires"]
            assert "loyalpass-migrate.service" in unit["After"]
            assert _values(units[name], "User") == ["loyalpass"]

"""The registry of every problem ``type`` the API answers with, and the table in docs/ERRORS.md.

The registry is read from the code, never listed by hand: every ``ApiError`` subclass found by
importing every module under ``api`` (so a class may move between modules freely), plus the
codes the handlers in ``api/errors.py`` produce without a class of their own. Regenerate the
table after adding or changing an error::

    .venv/bin/python -m tests.support.error_codes --write

``--write`` rewrites only the table between the markers in docs/ERRORS.md and keeps each
row's hand-written "When" cell; without it the new document is printed instead.
``tests/api/test_errors.py`` fails while the table and the code disagree.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from types import ModuleType

import api
import passes
from api import errors as api_errors
from api.errors import ApiError
from passes import PassError

DOC = Path(__file__).resolve().parents[2] / "docs" / "ERRORS.md"
REGENERATE = ".venv/bin/python -m tests.support.error_codes --write"
START, END = "<!-- codes:start -->", "<!-- codes:end -->"
HEADER = ("Code", "HTTP status", "Title", "Defined in", "When")

# A PassError whose code is listed here never reaches the PassError handler (which would
# answer 500): the api catches it and raises its own ApiError with the same code instead.
TRANSLATED_PASS_ERRORS = {
    "callback_rejected": "the Google callback route raises a 400 ``BadCallback`` instead",
}


@dataclass(frozen=True, slots=True)
class Source:
    """One thing that makes the API answer with ``code``: an error class or a handler."""

    code: str
    status: int
    title: str
    defined_in: str  # a class's dotted path, or the handler and what it catches
    summary: str  # the first paragraph of the class's own docstring, "" if it has none
    cls: type[Exception] | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One row of the table: a (code, status, title) and every place that produces it."""

    code: str
    status: int
    title: str
    defined_in: tuple[str, ...]
    when: str


def import_all(package: ModuleType) -> list[str]:
    """Import every module under ``package`` (not ``__main__``); an import error propagates."""
    names = []
    for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        if info.name.rpartition(".")[2] == "__main__":
            continue
        importlib.import_module(info.name)
        names.append(info.name)
    return names


def _subclasses(base: type[Exception]) -> Iterator[type[Exception]]:
    for cls in base.__subclasses__():
        yield cls
        yield from _subclasses(cls)


def _in_package(cls: type, package: ModuleType) -> bool:
    return cls.__module__ == package.__name__ or cls.__module__.startswith(f"{package.__name__}.")


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _summary(cls: type) -> str:
    own = cls.__dict__.get("__doc__")
    if not own:
        return ""
    return " ".join(inspect.cleandoc(own).split("\n\n")[0].split())


def api_error_classes() -> list[type[ApiError]]:
    """``ApiError`` and every subclass of it defined under ``api`` (tests' own are left out)."""
    import_all(api)
    found = {c for c in _subclasses(ApiError) if _in_package(c, api)}
    classes = [ApiError, *(c for c in found if issubclass(c, ApiError))]
    return sorted(set(classes), key=lambda c: (c.code, _path(c)))


def pass_error_classes() -> list[type[PassError]]:
    """``PassError`` and every subclass of it defined under ``passes``."""
    import_all(passes)
    found = {c for c in _subclasses(PassError) if _in_package(c, passes)}
    classes = [PassError, *(c for c in found if issubclass(c, PassError))]
    return sorted(set(classes), key=lambda c: (c.code, _path(c)))


def sources() -> list[Source]:
    """Everything that makes the API answer with a problem ``type``, one entry per producer."""
    found = [
        Source(c.code, c.status_code, c.title, _path(c), _summary(c), c)
        for c in api_error_classes()
    ]
    found.append(
        Source(
            api_errors.VALIDATION_ERROR,
            422,
            api_errors.VALIDATION_TITLE,
            "api.errors (FastAPI's RequestValidationError)",
            "",
        )
    )
    found += [
        Source(
            code,
            status,
            HTTPStatus(status).phrase,  # Starlette's detail when none is given
            "api.errors (Starlette's HTTPException)",
            "",
        )
        for status, code in api_errors.HTTP_ERROR_CODES.items()
    ]
    found.append(
        Source(
            ApiError.code,
            ApiError.status_code,
            ApiError.title,
            "api.errors (any other exception)",
            "",
        )
    )
    found += [
        Source(
            c.code,
            api_errors.PASS_ERROR_STATUS,
            api_errors.PASS_ERROR_TITLE,
            _path(c),
            _summary(c),
            c,
        )
        for c in pass_error_classes()
        if c.code not in TRANSLATED_PASS_ERRORS
    ]
    return found


def rows(found: Iterable[Source], when: dict[tuple[str, str], str] | None = None) -> list[Row]:
    """Group ``found`` into table rows; ``when`` holds the hand-written cells to keep."""
    kept_cells = when or {}
    groups: dict[tuple[str, int, str], list[Source]] = {}
    for source in found:
        groups.setdefault((source.code, source.status, source.title), []).append(source)
    result = []
    for (code, status, title), group in sorted(groups.items()):
        kept = kept_cells.get((code, title)) or kept_cells.get((code, ""))
        owners = [s for s in group if s.cls is not None and "code" in vars(s.cls)]
        summary = next((s.summary for s in [*owners, *group] if s.summary), "")
        # a subclass that inherits its parent's code (Google's errors) is not another producer
        producers = [s for s in group if s.cls is None or "code" in vars(s.cls)] or group
        defined_in = tuple(sorted({s.defined_in for s in producers}))
        result.append(Row(code, status, title, defined_in, kept or summary))
    return result


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def _code_span(defined_in: str) -> str:
    path, _, note = defined_in.partition(" ")
    return f"`{_cell(path)}` {_cell(note)}" if note else f"`{_cell(path)}`"


def render_table(table: Iterable[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "|" + "---|" * len(HEADER),
    ]
    for row in table:
        defined_in = "<br>".join(_code_span(d) for d in row.defined_in)
        cells = [f"`{row.code}`", str(row.status), _cell(row.title), defined_in, _cell(row.when)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def parse(text: str) -> list[Row]:
    """The rows of the table between the markers of a docs/ERRORS.md text."""
    if START not in text or END not in text:
        raise ValueError(f"docs/ERRORS.md has lost its {START} / {END} markers")
    body = text.split(START, 1)[1].split(END, 1)[0]
    table = []
    for line in body.splitlines():
        if not line.startswith("| `"):
            continue
        cells = [c.strip().replace(r"\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        code, status, title, defined_in, when = cells
        table.append(
            Row(
                code.strip("`"),
                int(status),
                title,
                tuple(d.replace("`", "") for d in defined_in.split("<br>") if d),
                when,
            )
        )
    return table


def regenerate(text: str) -> str:
    """``text`` with its table rebuilt from the code, keeping every row's "When" cell."""
    documented = [r for r in parse(text) if r.when]
    when = {(r.code, r.title): r.when for r in documented}
    when.update({(r.code, ""): r.when for r in documented})  # for a row whose title changed
    head, rest = text.split(START, 1)
    tail = rest.split(END, 1)[1]
    return f"{head}{START}\n{render_table(rows(sources(), when))}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--write", action="store_true", help=f"rewrite {DOC.name} in place")
    args = parser.parse_args(argv)
    text = regenerate(DOC.read_text(encoding="utf-8"))
    if args.write:
        DOC.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

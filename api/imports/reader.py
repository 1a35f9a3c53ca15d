"""Reading a member file: CSV (any common separator, a BOM, UTF-8 or Windows-1251) or XLSX,
its header mapped to member fields by an explicit mapping or by known ru/en header names.

Line numbers are the file's own (the header is line 1; a quoted value spanning lines moves
the next row's line on), so a merchant finds the row a report names in their editor.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass

FIELDS = ("name", "phone", "email", "external_id", "birthday", "points", "stamps", "tier")

# Header names a spreadsheet commonly uses for each field (compared lower-case, trimmed).
_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("name", "full name", "customer", "client", "имя", "фио", "клиент", "имя клиента"),
    "phone": ("phone", "mobile", "phone number", "телефон", "тел", "тел.", "мобильный"),
    "email": ("email", "e-mail", "mail", "почта", "эл. почта", "электронная почта"),
    "external_id": (
        "external_id", "external id", "customer id", "client id", "id", "код", "код клиента",
        "id клиента", "номер клиента",
    ),
    "birthday": ("birthday", "birth date", "date of birth", "дата рождения", "день рождения"),
    "points": ("points", "balance", "bonuses", "баллы", "баланс", "бонусы"),
    "stamps": ("stamps", "штампы", "марки", "отметки"),
    "tier": ("tier", "level", "status", "уровень", "статус"),
}  # fmt: skip


class FileError(ValueError):
    """The file cannot be read at all (not CSV or XLSX, no header, no known column)."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    values: dict[str, str]  # field -> the cell's text, stripped


@dataclass(frozen=True, slots=True)
class Table:
    columns: dict[str, str]  # field -> the file's header it comes from
    rows: list[Row]


def read(data: bytes, filename: str, mapping: dict[str, str] | None = None) -> Table:
    """The rows of ``data`` with their fields.

    Raises:
        FileError: unreadable, no header, an unknown field or header in ``mapping``, or no
            column that identifies a member (phone, email, external_id).
    """
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        header, body = _xlsx(data)
    else:
        header, body = _csv(data)
    columns = _columns(header, mapping)
    if not {"phone", "email", "external_id"} & set(columns):
        raise FileError("no phone, email or external_id column: a member cannot be identified")
    index = {field: header.index(name) for field, name in columns.items()}
    rows = []
    for line, cells in body:
        if not any(cell.strip() for cell in cells):
            continue
        values = {f: cells[i].strip() if i < len(cells) else "" for f, i in index.items()}
        rows.append(Row(line, values))
    return Table(columns, rows)


def _columns(header: list[str], mapping: dict[str, str] | None) -> dict[str, str]:
    if mapping:
        unknown = set(mapping) - set(FIELDS)
        if unknown:
            raise FileError(f"unknown fields in the mapping: {', '.join(sorted(unknown))}")
        missing = [name for name in mapping.values() if name not in header]
        if missing:
            raise FileError(f"the file has no column {missing[0]!r}")
        return dict(mapping)
    found: dict[str, str] = {}
    for name in header:
        key = name.strip().lower()
        for field, aliases in _ALIASES.items():
            if key in aliases and field not in found:
                found[field] = name
    return found


def _text(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileError("the file is neither UTF-8 nor Windows-1251 text")


def _csv(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    text = _text(data)
    if "\x00" in text:
        raise FileError("the file holds NUL characters: not a CSV file")
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t", "|"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise FileError("the file is empty") from None

    def body() -> Iterator[tuple[int, list[str]]]:
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise FileError(f"line {line}: {exc}") from exc
            yield line, cells

    return header, body()


def _xlsx(data: bytes) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    from openpyxl import load_workbook  # type: ignore[import-untyped]  # no stubs; heavy

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not XLSX
        raise FileError("not an XLSX workbook") from exc
    rows = book.worksheets[0].iter_rows(values_only=True)
    try:
        header = [_cell(value) for value in next(rows)]
    except StopIteration:
        raise FileError("the workbook's first sheet is empty") from None

    def body() -> Iterator[tuple[int, list[str]]]:
        for line, values in enumerate(rows, start=2):
            yield line, [_cell(value) for value in values]

    return header, body()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a spreadsheet's 100 is 100.0
    if hasattr(value, "date") and hasattr(value, "isoformat"):
        return str(value.isoformat())[:10]
    return str(value).strip()

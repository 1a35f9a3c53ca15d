"""Paging of every list the API returns: one request shape (``limit``, ``offset``), one answer
shape (:class:`Page`), one way to query a page.

A list without a bound grows with the merchant (a chain with 60,000 stores answered 17 MB in
one response), so every list route takes :data:`Paging` and answers a :class:`Page`. A page
is only well defined over a total order: :func:`fetch_page` takes the order as an argument
and callers end it with the primary key, so rows with the same timestamp never move between
pages.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_OFFSET = 1_000_000


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which slice of a list to answer: at most ``limit`` rows after skipping ``offset``."""

    limit: int = DEFAULT_LIMIT
    offset: int = 0


async def page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"rows per page, at most {MAX_LIMIT}")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="rows to skip")] = 0,
) -> PageRequest:
    """The ``limit`` and ``offset`` query parameters; out of range is a 422 problem."""
    return PageRequest(limit=limit, offset=offset)


Paging = Annotated[PageRequest, Depends(page_request)]


class Page(BaseModel, Generic[T]):
    """One page of a list: its ``items``, the ``total`` of the whole list, and the ``limit``
    and ``offset`` that selected it. The next page starts at ``offset + limit``."""

    items: list[T]
    total: int
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[T], total: int, page: PageRequest) -> Page[T]:
        return cls(items=list(items), total=total, limit=page.limit, offset=page.offset)


def fetch_page(
    session: Session,
    query: Select[T],
    page: PageRequest,
    *,
    order_by: Sequence[ColumnElement[Any] | Mapped[Any]],
) -> tuple[Sequence[T], int]:
    """The rows of ``query`` on ``page`` in ``order_by`` (which must be a total order: end it
    with the primary key), and how many rows the whole query has."""
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    ordered = query.order_by(*order_by).limit(page.limit).offset(page.offset)
    return session.execute(ordered).scalars().all(), int(total)

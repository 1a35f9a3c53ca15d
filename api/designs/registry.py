"""Every design the service renders, by name: the shipped ones (loaded at start) and each
program's own published versions (``p-<program>-v<n>``, loaded from the database on first use
and kept in a small LRU keyed by (program, version); a version never changes, so the cache
needs no invalidation and signing stays a dictionary lookup)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from uuid import UUID

from sqlalchemy.engine import Engine
from sqlmodel import Session

from api.designs import repository
from api.designs.document import build_design, neutral_document, neutral_images
from api.programs.models import own_design, parse_own_design
from passes import CardDesign


class DesignRegistry(Mapping[str, CardDesign]):
    """A read-only mapping of design name -> design. Iterating yields the shipped designs."""

    def __init__(
        self, engine: Engine | None, starters: Mapping[str, CardDesign], *, capacity: int = 256
    ) -> None:
        self.engine = engine
        self.starters = dict(starters)
        self._capacity = capacity
        self._cache: OrderedDict[tuple[UUID, int], CardDesign] = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> CardDesign:
        starter = self.starters.get(name)
        if starter is not None:
            return starter
        parsed = parse_own_design(name)
        if parsed is None or self.engine is None:
            raise KeyError(name)
        with self._lock:
            cached = self._cache.get(parsed)
            if cached is not None:
                self._cache.move_to_end(parsed)
                return cached
        design = self._load(*parsed)
        if design is None:
            raise KeyError(name)
        with self._lock:
            self._cache[parsed] = design
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return design

    def __iter__(self) -> Iterator[str]:
        return iter(self.starters)

    def __len__(self) -> int:
        return len(self.starters)

    def _load(self, program_id: UUID, number: int) -> CardDesign | None:
        assert self.engine is not None
        # Its own short read, possibly while the caller's transaction holds SQLite's write lock.
        with Session(self.engine.execution_options(read_only=True)) as session:
            return load_version(session, program_id, number)


def load_version(session: Session, program_id: UUID, number: int) -> CardDesign | None:
    """The program's design version ``number`` (0: its neutral design); None if missing."""
    name = own_design(program_id, number)
    if number == 0:
        names = repository.names(session, program_id)
        if names is None:
            return None
        merchant, program, stamps = names
        return build_design(
            name, neutral_document(merchant, program, stamps_required=stamps), neutral_images()
        )
    row = repository.version(session, program_id, number)
    if row is None:
        return None
    document = row.document
    return build_design(name, document, resolve_images(session, document))


def resolve_images(session: Session, document: Mapping[str, object]) -> dict[str, bytes]:
    """The document's images (file name -> bytes) from their hashes."""
    refs = document.get("images")
    if not isinstance(refs, dict):
        return {}
    stored = repository.images(session, refs.values())
    return {file: stored[digest] for file, digest in refs.items() if digest in stored}

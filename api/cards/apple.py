"""Apple Wallet rendering for the service: one signer, one template per design, a pass cache.

An unchanged card is not signed again: passes are cached by (card, version), so repeated
downloads and Wallet's refetches cost a dictionary lookup instead of an RSA signature.
A stamp card's strip shows its stamps: the strip for its count replaces the design's (drawn
once per design and count, :class:`passes.StampImages`), so a stamp changes the picture.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from uuid import UUID

from passes import ApplePassTemplate, CardDesign, LoyaltyCard, Signer, StampImages, build_pkpass


class PassCache:
    """A small thread-safe LRU of signed passes keyed by (card id, version)."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._items: OrderedDict[tuple[UUID, int], bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[UUID, int]) -> bytes | None:
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: tuple[UUID, int], data: bytes) -> None:
        with self._lock:
            self._items[key] = data
            self._items.move_to_end(key)
            while len(self._items) > self._capacity:
                self._items.popitem(last=False)


class Templates(Mapping[str, ApplePassTemplate]):
    """The pass template of each design: the shipped ones built at start-up, a program's own
    design version when first used (a version never changes, so it is built once)."""

    def __init__(
        self, signer: Signer, designs: Mapping[str, CardDesign], *, allow_http: bool
    ) -> None:
        self._signer = signer
        self._designs = designs
        self._allow_http = allow_http
        self._built: dict[str, ApplePassTemplate] = {}
        self._lock = threading.Lock()
        for name in designs:
            self[name]

    def __getitem__(self, name: str) -> ApplePassTemplate:
        template = self._built.get(name)
        if template is None:
            template = ApplePassTemplate.create(
                self._designs[name],
                pass_type_identifier=self._signer.pass_type_identifier,
                team_identifier=self._signer.team_identifier,
                allow_http=self._allow_http,
            )
            with self._lock:
                self._built[name] = template
        return template

    def __iter__(self) -> Iterator[str]:
        return iter(self._built)

    def __len__(self) -> int:
        return len(self._built)


class AppleWallet:
    """Everything needed to issue Apple passes, built once at start-up."""

    def __init__(
        self,
        signer: Signer,
        designs: Mapping[str, CardDesign],
        *,
        web_service_url: str,
        allow_http: bool,
        cache_size: int,
        stamps: StampImages | None = None,
    ) -> None:
        self.signer = signer
        self.stamps = stamps or StampImages()
        self.web_service_url = web_service_url
        self.templates = Templates(signer, designs, allow_http=allow_http)
        self.cache = PassCache(cache_size)

    @property
    def pass_type_identifier(self) -> str:
        return self.signer.pass_type_identifier

    def pkpass(
        self, state: Callable[[], LoyaltyCard], *, design: str, card_id: UUID, version: int
    ) -> bytes:
        """The signed pass for this version of the card, from the cache when it is there;
        ``state`` (which reads the database) is called only when the pass must be signed."""
        key = (card_id, version)
        data = self.cache.get(key)
        if data is None:
            card, template = state(), self.templates[design]
            data = build_pkpass(card, template, self.signer, self.strips(card, template.design))
            self.cache.put(key, data)
        return data

    def strips(self, card: LoyaltyCard, design: CardDesign) -> Mapping[str, bytes] | None:
        """A stamp card's strip at 1x/2x/3x showing its stamps; None for other cards."""
        if card.stamps_required is None:
            return None
        return self.stamps.strips(design, card.stamps, card.stamps_required)

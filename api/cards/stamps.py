"""The stamp pictures Google Wallet fetches: a stamp card's hero image for N of M stamps.

The URL names the design, its art version and the count (``/designs/coffee/stamps/<version>/
3-of-10.png``), so its bytes never change: the answer is cacheable for a year, its ETag is
the name itself. Only totals that some stamp program of the design uses are drawn, so the
public route cannot be made to draw every picture there is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from api.cards import repository
from api.cards.errors import ImageNotFound
from passes import MAX_STAMPS, CardDesign, StampImages, stamp_image_name

_PICTURE_RE = re.compile(r"^([0-9]{1,2})-of-([0-9]{1,2})\.png$")


@dataclass(frozen=True, slots=True)
class StampPicture:
    data: bytes
    etag: str

    def matches(self, if_none_match: str | None) -> bool:
        """Whether an ``If-None-Match`` header names this picture (weak or strong, or ``*``)."""
        if not if_none_match:
            return False
        tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
        return "*" in tags or self.etag in tags


def stamp_hero(
    session: Session,
    designs: Mapping[str, CardDesign],
    stamps: StampImages,
    *,
    design: str,
    version: str,
    picture: str,
) -> StampPicture:
    """The hero image ``picture`` (``3-of-10.png``) of ``design`` at art ``version``.

    Raises:
        ImageNotFound: no such design or version, a malformed or impossible count, or a total
            no stamp program of the design uses.
    """
    found = designs.get(design)
    match = _PICTURE_RE.match(picture)
    if found is None or match is None or stamps.version(found) != version:
        raise ImageNotFound()
    count, required = int(match[1]), int(match[2])
    if not (1 <= required <= MAX_STAMPS and 0 <= count <= required):
        raise ImageNotFound()
    if picture != stamp_image_name(count, required):  # one name per picture: no "03-of-10"
        raise ImageNotFound()
    if not repository.stamp_total_in_use(session, design, required):
        raise ImageNotFound()
    data = stamps.hero(found, count, required)
    return StampPicture(data, f'"{version}-{count}-of-{required}"')

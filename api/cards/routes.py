"""Public card routes: the Apple pass download and the designs' images. No API key; the URL's
random token (192 bits) is the credential, so unknown and malformed tokens look the same.
The card page is ``api/card_page`` (it sits above the wheel, which it shows)."""

from __future__ import annotations

from email.utils import format_datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Response

from api.cards import service as card_service
from api.cards import stamps as stamp_pictures
from api.cards.errors import ImageNotFound
from api.deps import AppleWalletDep, DesignsDep, SessionDep, UnitDep
from passes import PKPASS_MEDIA_TYPE

router = APIRouter(prefix="/cards", tags=["cards"])


Token = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="The card's token")]


@router.get(
    "/{token}/apple.pkpass",
    response_class=Response,
    responses={200: {"content": {PKPASS_MEDIA_TYPE: {}}, "description": "A signed pass"}},
)
async def download_apple_pass(token: Token, unit: UnitDep, wallet: AppleWalletDep) -> Response:
    """The signed Apple Wallet pass for this card."""
    signed = await unit.run(
        lambda session: card_service.render_apple_pass(session, token, wallet=wallet)
    )
    return Response(
        signed.data,
        media_type=PKPASS_MEDIA_TYPE,
        headers={
            "Content-Disposition": f'attachment; filename="{signed.serial_number}.pkpass"',
            "Last-Modified": format_datetime(signed.last_modified, usegmt=True),
            "Cache-Control": "no-store",  # the pass holds the card's Apple token
        },
    )


designs = APIRouter(prefix="/designs", tags=["cards"])
DesignName = Annotated[str, Path(pattern=r"^[a-z0-9_-]{1,64}$")]


@designs.get(
    "/{name}/{image}",
    response_class=Response,
    responses={200: {"content": {"image/png": {}}, "description": "A design's image"}},
)
def design_image(
    name: DesignName,
    image: Annotated[str, Path(pattern=r"^[a-z0-9_@-]{1,64}\.png$")],
    designs: DesignsDep,
) -> Response:
    """A card design's image, public: Google Wallet fetches logos and hero images from here."""
    design = designs.get(name)
    if design is None or image not in design.images:
        raise ImageNotFound()
    return Response(
        design.images[image],
        media_type="image/png",
        headers={"Cache-Control": "public, max-age=86400"},
    )


@designs.get(
    "/{name}/stamps/{version}/{picture}",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}}, "description": "A stamp card's hero image"},
        304: {"description": "The client's copy (If-None-Match) is current"},
    },
)
def stamp_picture(
    name: DesignName,
    version: Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="The art version")],
    picture: Annotated[str, Path(pattern=r"^[0-9]{1,2}-of-[0-9]{1,2}\.png$")],
    session: SessionDep,
    designs: DesignsDep,
    wallet: AppleWalletDep,
    if_none_match: Annotated[str | None, Header()] = None,
) -> Response:
    """A stamp card's picture for N of M stamps, public: Google Wallet fetches a card's hero
    image from here. The URL never changes its bytes, so it is cached for a year."""
    found = stamp_pictures.stamp_hero(
        session, designs, wallet.stamps, design=name, version=version, picture=picture
    )
    headers = {"Cache-Control": "public, max-age=31536000, immutable", "ETag": found.etag}
    if found.matches(if_none_match):
        return Response(status_code=304, headers=headers)
    return Response(found.data, media_type="image/png", headers=headers)

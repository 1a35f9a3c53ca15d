"""The API's interactive documentation (``/docs``), Swagger UI served from our own origin.

FastAPI's default page loads Swagger UI from a CDN, so it is blank on a closed network and
needs the CDN in the Content-Security-Policy. Here the files come from the
``swagger-ui-bundle-v2`` package, mounted under ``/docs/assets``, and the page's one inline
script carries its nonce like every other page (``api.pages.render``). ReDoc is not served.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

from api.pages.render import PageDep

ASSETS = "/docs/assets"
router = APIRouter(include_in_schema=False)


@router.get("/docs", response_class=HTMLResponse)
def docs(page: PageDep) -> HTMLResponse:
    return page.render("docs.html", openapi_url="/openapi.json", assets=ASSETS)


def install_docs(app: FastAPI) -> None:
    """The ``/docs`` page and its Swagger UI files (create the app with ``docs_url=None``)."""
    app.include_router(router)
    app.mount(ASSETS, StaticFiles(directory=Path(str(swagger_ui_path))), name="docs-assets")

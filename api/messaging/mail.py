"""Building a message's email: multipart text + HTML from the merchant-editable templates in
``templates/messages/<template>/`` (``<locale>.subject.txt``, ``<locale>.txt``,
``<locale>.html``; the HTML extends ``base.html``, which shows the program's design colours and
logo), with RFC 8058 one-click unsubscribe headers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from passes import CardDesign

LOGO_CID = "logo"


@dataclass(frozen=True, slots=True)
class Brand:
    """What a message shows of its program: name, colours and logo (PNG bytes)."""

    name: str
    background: str = "#ffffff"
    foreground: str = "#000000"
    logo_png: bytes | None = None

    @classmethod
    def of(cls, name: str, design: CardDesign | None) -> Brand:
        if design is None:
            return cls(name)
        logo = design.images.get("logo@2x.png") or design.images.get("logo.png")
        return cls(name, design.background.hex, design.foreground.hex, logo)


@dataclass(frozen=True, slots=True)
class Rendered:
    subject: str
    text: str
    html: str


def message_templates(templates_dir: Path) -> Environment:
    """The environment of ``templates/messages`` (HTML escaped, unknown names an error)."""
    return Environment(
        loader=FileSystemLoader(templates_dir / "messages"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        keep_trailing_newline=False,
    )


def render_email(
    templates: Environment,
    template: str,
    locale: str,
    context: Mapping[str, Any],
    brand: Brand,
    *,
    unsubscribe_url: str | None = None,
) -> Rendered:
    """Render a template's subject, text and HTML parts. Raises jinja2's TemplateError."""
    values = {
        **context,
        "lang": locale,
        "brand": brand,
        "logo_cid": LOGO_CID if brand.logo_png else None,
        "unsubscribe_url": unsubscribe_url,
    }
    subject = templates.get_template(f"{template}/{locale}.subject.txt").render(values)
    return Rendered(
        subject=" ".join(subject.split()),  # one line: no header injection through a name
        text=templates.get_template(f"{template}/{locale}.txt").render(values),
        html=templates.get_template(f"{template}/{locale}.html").render(values),
    )


def build_email(
    rendered: Rendered,
    *,
    sender: str,
    to: str,
    brand: Brand,
    idempotency_key: str,
    unsubscribe_url: str | None,
) -> EmailMessage:
    """The message as sent: ``multipart/alternative`` (text, then HTML with the logo inline).

    ``Message-ID`` derives from the idempotency key, so a resent message carries the same id
    (mail systems drop duplicates by it). With ``unsubscribe_url`` the message carries
    ``List-Unsubscribe`` and ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058:
    the mail client POSTs to the URL, no page in between).
    """
    message = EmailMessage()
    display, address = parseaddr(sender)
    message["From"] = formataddr((display or brand.name, address))
    message["To"] = to
    message["Subject"] = rendered.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = address.rpartition("@")[2] or "loyalpass.invalid"
    message["Message-ID"] = f"<{_id_part(idempotency_key)}@{domain}>"
    if unsubscribe_url:
        message["List-Unsubscribe"] = f"<{unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    if brand.logo_png:
        html_part = next(p for p in message.iter_parts() if p.get_content_type() == "text/html")
        html_part.add_related(brand.logo_png, "image", "png", cid=f"<{LOGO_CID}>")
    return message


def render_sms(
    templates: Environment, template: str, locale: str, context: Mapping[str, Any], brand: Brand
) -> str:
    """Render a template's SMS text (``<locale>.sms.txt``), trimmed."""
    values = {**context, "lang": locale, "brand": brand, "unsubscribe_url": None}
    return templates.get_template(f"{template}/{locale}.sms.txt").render(values).strip()


def _id_part(key: str) -> str:
    safe = "".join(c if c.isalnum() or c in "-._" else "-" for c in key)
    return safe or make_msgid()[1:-1]

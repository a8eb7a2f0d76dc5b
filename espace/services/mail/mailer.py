"""Sending email: the only module that renders email templates and talks SMTP.

Templates live in espace/services/mail/templates/<name>.html and <name>.txt. Without SMTP_HOST
(development, tests, demo) messages are written as .eml files to DATA_DIR/outbox
instead of being sent.
"""
from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import emails
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from espace.config import settings
from espace.private_files import create_private, private_dir

log = logging.getLogger("espace.mailer")

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
SMTP_TIMEOUT = 15  # seconds

_html_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR), autoescape=True, undefined=StrictUndefined
)
_text_env = Environment(
    loader=FileSystemLoader(TEMPLATES_DIR),
    autoescape=False,
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


class MailError(Exception):
    """The SMTP server could not be reached or did not accept the message."""


def _render(template: str, context: dict[str, Any]) -> tuple[str, str]:
    data = {**context, "portal_url": settings.public_url}
    html = _html_env.get_template(f"{template}.html").render(data)
    text = _text_env.get_template(f"{template}.txt").render(data)
    return html, text


def _write_outbox(msg: emails.Message, template: str) -> str:
    outbox = private_dir(settings.outbox_dir)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = outbox / f"{stamp}-{secrets.token_hex(4)}-{template}.eml"
    tmp = outbox / f".{path.name}.part"
    with create_private(tmp, exclusive=False) as fh:  # 0600: an email names the client and its dossier
        fh.write(msg.as_string().encode("utf-8"))
    os.replace(tmp, path)
    return str(path)


def _reason(response: Any) -> str:
    """A readable cause for a failed SMTP response (server text or exception)."""
    text = getattr(response, "status_text", None)
    if text:
        return text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    error = getattr(response, "error", None)
    if error is None:
        return "pas de réponse du serveur"
    cause = error.__cause__ or error.__context__
    detail = str(error) or (str(cause) if cause else "")
    return f"{type(error).__name__}: {detail}" if detail else type(error).__name__


def send(
    to: str,
    subject: str,
    template: str,
    context: dict[str, Any],
    *,
    reply_to: str | None = None,
    sender_name: str | None = None,
) -> str | None:
    """Render and send one email. Returns the Message-ID when sent over SMTP,
    or the path of the .eml file when written to the outbox. Raises MailError."""
    html, text = _render(template, context)
    domain = settings.mail_from.rpartition("@")[2] or None
    msg = emails.html(
        html=html,
        text=text,
        subject=subject,
        mail_from=(sender_name or settings.mail_from_name, settings.mail_from),
        mail_to=to,
        message_id=make_msgid(domain=domain),
        date=formatdate(localtime=True),
    )
    if reply_to:
        msg.set_reply_to(reply_to)

    if not settings.smtp_host:
        path = _write_outbox(msg, template)
        log.info("mail written to outbox template=%s to=%s path=%s", template, to, path)
        return path

    smtp = {
        "host": settings.smtp_host,
        "port": settings.smtp_port,
        "user": settings.smtp_user,
        "password": settings.smtp_password,
        "tls": settings.smtp_tls,
        "ssl": settings.smtp_ssl,
        "timeout": SMTP_TIMEOUT,
    }
    try:
        response = msg.send(to=to, smtp=smtp)
    finally:
        msg.smtp_pool[smtp].close()
    status = getattr(response, "status_code", None)
    if status != 250:
        reason = _reason(response)
        log.error(
            "mail not sent template=%s to=%s server=%s:%s status=%s reason=%s",
            template, to, settings.smtp_host, settings.smtp_port, status, reason,
        )
        raise MailError(
            f"Envoi à {to} impossible par {settings.smtp_host}:{settings.smtp_port} "
            f"(statut {status} : {reason})"
        )
    log.info("mail sent template=%s to=%s message_id=%s", template, to, msg.message_id)
    return msg.message_id

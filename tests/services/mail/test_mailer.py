"""The mailer: outbox files without SMTP, a real (local) SMTP server otherwise."""
from __future__ import annotations

import email
import email.policy
import logging
import socket

import pytest
from aiosmtpd.controller import Controller

from espace.config import settings
from espace.models import Role, User
from espace.services.mail import mailer, notifications, outbox

TOKEN = "tok-123_ABC"
LINK = f"{settings.public_url}/reinitialiser?jeton={TOKEN}"


def make_user(**kw) -> User:
    fields = dict(id=42, firm_id=1, email="luce@example.org", nom="Müller", prenom="Hélène", role=Role.client)
    return User(**{**fields, **kw})


def parse(path) -> email.message.EmailMessage:
    with open(path, "rb") as fh:
        return email.message_from_bytes(fh.read(), policy=email.policy.default)


def body(msg: email.message.EmailMessage, subtype: str) -> str:
    parts = [p for p in msg.walk() if p.get_content_type() == f"text/{subtype}"]
    assert len(parts) == 1, f"expected one text/{subtype} part"
    return parts[0].get_content()


def outbox_files():
    return sorted(settings.outbox_dir.glob("*.eml")) if settings.outbox_dir.exists() else []


class Collector:
    def __init__(self, reply: str = "250 OK"):
        self.reply = reply
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        if self.reply.startswith("250"):
            self.envelopes.append(envelope)
        return self.reply


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server(monkeypatch, data_dir):
    servers = []

    def start(reply: str = "250 OK") -> Collector:
        handler = Collector(reply)
        controller = Controller(handler, hostname="127.0.0.1", port=free_port())
        controller.start()
        servers.append(controller)
        monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
        monkeypatch.setattr(settings, "smtp_port", controller.port)
        monkeypatch.setattr(settings, "smtp_tls", False)
        monkeypatch.setattr(settings, "smtp_ssl", False)
        monkeypatch.setattr(settings, "smtp_user", None)
        monkeypatch.setattr(settings, "smtp_password", None)
        return handler

    yield start
    for controller in servers:
        controller.stop()


def test_outbox_file_has_both_parts_and_escapes_html(demo):
    user = make_user(prenom="<script>x</script>", nom="Dupont & fils")

    notifications.send_password_reset(user, TOKEN)
    assert outbox_files() == []  # queued: the outbox worker writes it
    assert outbox.run_once() == 1

    files = outbox_files()
    assert len(files) == 1
    assert files[0].name.endswith("-password_reset.eml")
    assert not list(settings.outbox_dir.glob(".*.part"))
    msg = parse(files[0])
    assert msg["To"] == "luce@example.org"
    assert msg["Subject"] == "Réinitialisation de votre mot de passe"
    assert settings.mail_from in msg["From"]
    assert msg["Message-ID"] and msg["Date"]

    text = body(msg, "plain")
    html = body(msg, "html")
    assert LINK in text and LINK in html
    assert "1 heure" in text
    assert "<script>x</script> DUPONT & FILS" in text  # plain text is not escaped (« Prénom NOM »)
    assert "<script>" not in html
    assert "&lt;script&gt;x&lt;/script&gt; DUPONT &amp; FILS" in html
    assert settings.public_url in html  # layout footer


def test_send_returns_outbox_path_and_sets_reply_to(data_dir):
    path = mailer.send(
        "a@example.org", "Sujet", "password_reset", {"link": LINK, "name": "A"},
        reply_to="cabinet@example.org", sender_name="Cabinet Été",
    )
    msg = parse(path)
    assert msg["Reply-To"] == "cabinet@example.org"
    assert msg["From"].addresses[0].display_name == "Cabinet Été"


def test_invitation_renders(demo):
    notifications.send_invitation(make_user(), "Cabinet Martin", "inv-tok", valid_days=7)
    outbox.run_once()
    (path,) = outbox_files()
    msg = parse(path)
    assert msg["Subject"] == "Votre espace client est ouvert"
    for part in (body(msg, "plain"), body(msg, "html")):
        assert f"{settings.public_url}/activer?jeton=inv-tok" in part
        assert "luce@example.org" in part
        assert "Cabinet Martin" in part
        assert "7 jours" in part


def test_smtp_delivers_to_server_and_writes_no_file(smtp_server):
    handler = smtp_server()

    message_id = mailer.send(
        "luce@example.org", "Réinitialisation de votre mot de passe", "password_reset",
        {"link": LINK, "name": "Hélène Müller"},
    )

    assert len(handler.envelopes) == 1
    envelope = handler.envelopes[0]
    assert envelope.rcpt_tos == ["luce@example.org"]
    assert envelope.mail_from == settings.mail_from
    received = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
    assert received["Message-ID"] == message_id
    assert received["Subject"] == "Réinitialisation de votre mot de passe"
    assert LINK in body(received, "plain")
    assert LINK in body(received, "html")
    assert outbox_files() == []


def test_smtp_refusal_raises_mail_error(smtp_server):
    smtp_server("550 refused")
    with pytest.raises(mailer.MailError, match="550"):
        mailer.send("luce@example.org", "Sujet", "password_reset", {"link": LINK, "name": "x"})
    assert outbox_files() == []


def test_password_reset_swallows_and_logs_smtp_refusal(demo, smtp_server, caplog):
    smtp_server("550 refused")
    caplog.set_level(logging.INFO)

    notifications.send_password_reset(make_user(), TOKEN)  # must not raise
    assert outbox.run_once() == 0  # the worker meets the refusal, keeps the email

    failures = [r for r in caplog.records if r.name == "espace.outbox" and r.levelno == logging.WARNING]
    assert len(failures) == 1
    message = failures[0].getMessage()
    assert "template=password_reset" in message and "luce@example.org" in message and "550" in message
    assert outbox.status_counts()["pending"] == 1


def test_unreachable_server_raises_mail_error(data_dir, monkeypatch):
    monkeypatch.setattr(settings, "smtp_host", "127.0.0.1")
    monkeypatch.setattr(settings, "smtp_port", free_port())  # nothing listens there
    monkeypatch.setattr(settings, "smtp_tls", False)
    with pytest.raises(mailer.MailError):
        mailer.send("luce@example.org", "Sujet", "password_reset", {"link": LINK, "name": "x"})


def test_password_is_never_logged(smtp_server, monkeypatch, caplog):
    smtp_server()
    monkeypatch.setattr(settings, "smtp_user", "portail")
    monkeypatch.setattr(settings, "smtp_password", "s3cr3t-pw")
    caplog.set_level(logging.DEBUG)
    # The test server offers no AUTH, so the login fails; the password must not leak.
    with pytest.raises(mailer.MailError) as excinfo:
        mailer.send("luce@example.org", "Sujet", "password_reset", {"link": LINK, "name": "x"})
    assert "s3cr3t-pw" not in str(excinfo.value)
    assert "s3cr3t-pw" not in caplog.text
    assert any(r.name == "espace.mailer" and r.levelno == logging.ERROR for r in caplog.records)

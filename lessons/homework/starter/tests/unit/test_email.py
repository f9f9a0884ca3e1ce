"""Emails: what the verification message says, escaping, failures, transport config."""

import logging
from unittest.mock import AsyncMock

import pytest
from fastapi_mail import FastMail, MessageSchema

from app.core.config import settings
from app.services import email as email_service
from app.services.email import (
    get_mail_config,
    send_verification_email,
    verification_url,
)

TOKEN = "header.payload.signature"


def sent_message(mailer: AsyncMock) -> MessageSchema:
    mailer.send_message.assert_awaited_once()
    return mailer.send_message.call_args.args[0]


async def test_verification_email_has_subject_recipient_and_link_with_token() -> None:
    mailer = AsyncMock()
    await send_verification_email(mailer, "alice@example.com", "Alice", TOKEN)

    message = sent_message(mailer)
    assert message.subject == "Confirm your email"
    assert [r.email for r in message.recipients] == ["alice@example.com"]
    url = f"{settings.PUBLIC_BASE_URL}/api/v1/auth/verify/{TOKEN}"
    assert verification_url(TOKEN) == url
    assert f'href="{url}"' in message.body
    assert "Alice" in message.body


async def test_verification_email_greets_by_email_without_a_name() -> None:
    mailer = AsyncMock()
    await send_verification_email(mailer, "alice@example.com", None, TOKEN)
    assert "Hello, alice@example.com!" in sent_message(mailer).body


async def test_full_name_is_escaped_in_the_html_body() -> None:
    mailer = AsyncMock()
    await send_verification_email(mailer, "eve@example.com", "<script>alert(1)</script>", TOKEN)

    body = sent_message(mailer).body
    assert "&lt;script&gt;" in body
    assert "<script>" not in body


async def test_the_email_is_the_template_alone_without_course_markers() -> None:
    # The templates carry the course's lesson markers as {# comments #}: they render to nothing.
    mailer = AsyncMock()
    await send_verification_email(mailer, "alice@example.com", "Alice", TOKEN)

    body = sent_message(mailer).body
    assert body.startswith("<!DOCTYPE html>")
    # Spelled out in parts: a marker's arrows written literally would be a marker-like line here.
    assert not any(arrows in body for arrows in (">" * 3, "<" * 3))


# TODO(homework) [чекпойнт HW.3]: (за бажанням) unit-тест send_password_reset_email з mailer =
#   AsyncMock(): тема, адресат і токен у тілі листа.
async def test_failing_mail_server_is_logged_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The email goes out after the response: an SMTP outage must not break registration.
    mailer = AsyncMock()
    mailer.send_message.side_effect = ConnectionError("SMTP server is down")

    with caplog.at_level(logging.ERROR, logger=email_service.__name__):
        await send_verification_email(mailer, "alice@example.com", "Alice", TOKEN)

    mailer.send_message.assert_awaited_once()
    [record] = [r for r in caplog.records if r.name == email_service.__name__]
    assert record.levelno == logging.ERROR
    assert "alice@example.com" in record.getMessage()
    assert record.exc_info and isinstance(record.exc_info[1], ConnectionError)


async def test_real_fastmail_accepts_the_message() -> None:
    # FastMail itself (sending suppressed): the message we build is one it can deliver.
    mailer = FastMail(get_mail_config().model_copy(update={"SUPPRESS_SEND": 1}))
    with mailer.record_messages() as outbox:
        await send_verification_email(mailer, "alice@example.com", "Alice", TOKEN)

    [message] = outbox
    assert "<alice@example.com>" in message["To"]
    assert message["Subject"] == "Confirm your email"


def test_email_service_is_a_fastmail_on_the_configured_server() -> None:
    mailer = email_service.get_email_service()
    assert isinstance(mailer, FastMail)
    assert mailer.config.MAIL_SERVER == settings.MAIL_SERVER


def test_mail_config_for_a_local_sink_uses_no_credentials_and_no_tls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "MAIL_USERNAME", "")
    monkeypatch.setattr(settings, "MAIL_STARTTLS", None)
    monkeypatch.setattr(settings, "MAIL_SSL_TLS", False)

    config = get_mail_config()
    assert config.USE_CREDENTIALS is False
    assert config.MAIL_STARTTLS is False
    assert config.MAIL_SSL_TLS is False


def test_mail_config_with_a_username_logs_in_over_starttls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "MAIL_USERNAME", "me@gmail.com")
    monkeypatch.setattr(settings, "MAIL_STARTTLS", None)
    monkeypatch.setattr(settings, "MAIL_SSL_TLS", False)

    config = get_mail_config()
    assert config.USE_CREDENTIALS is True
    assert config.MAIL_STARTTLS is True
    assert config.VALIDATE_CERTS is True

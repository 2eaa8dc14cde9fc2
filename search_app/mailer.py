"""Outgoing e-mail through an SMTP relay (``smtplib``), for notices to librarians and patrons.

Settings (the app config, declared in :data:`search_app.config.SETTINGS`; empty host:
e-mail is off):

=====================  ===========================================================
``EFIRST_SMTP_HOST``   the relay's host name (empty: nothing is sent)
``EFIRST_SMTP_PORT``   its port (default 25)
``EFIRST_SMTP_FROM``   the sender address (default ``efirst@localhost``)
``EFIRST_SMTP_TIMEOUT`` seconds to wait for the relay (default 10)
=====================  ===========================================================

:func:`send_mail` raises :class:`MailError` naming the relay and what failed; callers
decide whether a failed notice matters (it never undoes the change it reports).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from flask import current_app, has_app_context

__all__ = ["MailError", "SmtpSettings", "mail_enabled", "send_mail", "setting", "smtp_settings"]

log = logging.getLogger(__name__)


class MailError(RuntimeError):
    """The relay could not be reached or refused the message."""


def setting(name: str, default: Any = None) -> Any:
    """A setting of the app config (parsed and checked at startup), else ``default``
    (outside an app, or when an embedding application left it out)."""
    value = current_app.config.get(name) if has_app_context() else None
    return default if value in (None, "") else value


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    sender: str
    timeout: float


def smtp_settings() -> SmtpSettings:
    """The relay settings in force (see the module docstring)."""
    try:
        port = int(setting("EFIRST_SMTP_PORT", 25))
        timeout = float(setting("EFIRST_SMTP_TIMEOUT", 10))
    except (TypeError, ValueError) as exc:
        raise MailError(f"EFIRST_SMTP_PORT/EFIRST_SMTP_TIMEOUT: not a number ({exc})") from None
    return SmtpSettings(
        host=str(setting("EFIRST_SMTP_HOST", "")),
        port=port,
        sender=str(setting("EFIRST_SMTP_FROM", "efirst@localhost")),
        timeout=timeout,
    )


def mail_enabled() -> bool:
    """Is an SMTP relay configured?"""
    return bool(smtp_settings().host)


def send_mail(to: Iterable[str], subject: str, body: str) -> None:
    """Send a plain-text message to ``to`` through the configured relay.

    Raises
    ------
    MailError
        No relay is configured, it cannot be reached, or it refuses every recipient.
    """
    config = smtp_settings()
    recipients = [address for address in to if address]
    if not config.host:
        raise MailError("no SMTP relay is configured (EFIRST_SMTP_HOST)")
    if not recipients:
        raise MailError("no recipient address")
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = ", ".join(recipients)
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=config.sender.rpartition("@")[2] or None)
    message.set_content(body)
    where = f"{config.host}:{config.port}"
    try:
        with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
            refused = smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP relay {where}: {exc}") from exc
    if refused:
        log.warning("SMTP relay %s refused some recipients: %s", where, sorted(refused))

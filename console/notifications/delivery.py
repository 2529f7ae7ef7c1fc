"""What a confirmation says about the WeChat messages a change queues: the truth about who sends them.

A change that tells patients (stop clinic, substitution, new hours) writes its messages to the
outbox; they reach the patients only when a sender runs: ``regdesk notify`` somewhere, or a
console with sending switched on (File menu). ``delivery_text`` turns the outbox's state
(services.notify.outbox.outbox_state) into one honest sentence or two for the dialog.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

log = logging.getLogger(__name__)


def sending_here(ctx) -> bool:
    """Whether this console's own sender runs (the main window answers through ctx.wechat_sending)."""
    return ctx.wechat_sending()


def delivery_text(state, here: bool) -> str:
    """Where the queued messages wait, who sends them, and whether anyone does now.
    (QCoreApplication.translate written out in full each time: lupdate finds only that form.)"""
    if state is None:
        return QCoreApplication.translate(
            "Delivery", "The messages wait in the outbox; whether anything sends them now could not be read.")
    if not state.configured:
        return QCoreApplication.translate(
            "Delivery", "WeChat is not configured, so nothing sends these messages now: they wait in the "
                        "outbox until an administrator fills in the WeChat page and `regdesk notify` or a "
                        "console with sending switched on runs.")
    if here:
        return QCoreApplication.translate(
            "Delivery", "This console sends WeChat messages: they go out within a few seconds.")
    how = QCoreApplication.translate(
        "Delivery", "They wait in the outbox and are sent by `regdesk notify` or by a console with "
                    "\u201cSend WeChat notifications from this console\u201d switched on (File menu); "
                    "this console is not sending.")
    if state.stale_since is not None:
        return how + " " + QCoreApplication.translate(
            "Delivery", "Nothing is sending right now: {n} message(s) have waited since {time}.").format(
            n=state.waiting, time=f"{state.stale_since:%m-%d %H:%M}")
    if state.last_sent_at is not None:
        return how + " " + QCoreApplication.translate("Delivery", "Last message sent: {time}.").format(
            time=f"{state.last_sent_at:%m-%d %H:%M}")
    return how + " " + QCoreApplication.translate("Delivery", "No message has been sent yet.")

"""What a confirmation says about the WeChat messages a change queues: the truth about who sends them.

A change that tells patients (stop clinic, substitution, new hours) writes its messages to the
outbox; they reach the patients only when the job service (`regdesk jobs`) runs: consoles do not
send. ``delivery_text`` turns the outbox's state (services.notify.outbox.outbox_state: WeChat set up,
messages waiting, the job service's heartbeat) into one honest sentence or two for the dialog.
"""
from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication

log = logging.getLogger(__name__)


def delivery_text(state) -> str:
    """Where the queued messages wait, who sends them (the job service: consoles do not send), and
    whether it runs now by its heartbeat. (QCoreApplication.translate written out in full each time:
    lupdate finds only that form.)"""
    if state is None:
        return QCoreApplication.translate(
            "Delivery", "The messages wait in the outbox; whether the job service sends them now could not be read.")
    if not state.configured:
        return QCoreApplication.translate(
            "Delivery", "WeChat is not configured, so nothing sends these messages now: they wait in the "
                        "outbox until an administrator fills in the WeChat page; then the job service "
                        "(regdesk jobs) sends them.")
    if state.sender_running and state.stale_since is None:
        return QCoreApplication.translate(
            "Delivery", "The job service sends WeChat messages: they go out within a few seconds "
                        "(it last reported at {time}).").format(time=f"{state.sender_seen_at:%H:%M:%S}")
    if state.sender_seen_at is not None:
        how = QCoreApplication.translate(
            "Delivery", "They wait in the outbox for the job service (regdesk jobs), which has not reported "
                        "since {time}: it is not sending now.").format(time=f"{state.sender_seen_at:%m-%d %H:%M}")
    else:
        how = QCoreApplication.translate(
            "Delivery", "They wait in the outbox for the job service (regdesk jobs), which has never run "
                        "on this database: nothing sends them now.")
    if state.stale_since is not None:
        return how + " " + QCoreApplication.translate(
            "Delivery", "{n} message(s) have waited since {time}.").format(
            n=state.waiting, time=f"{state.stale_since:%m-%d %H:%M}")
    if state.last_sent_at is not None:
        return how + " " + QCoreApplication.translate("Delivery", "Last message sent: {time}.").format(
            time=f"{state.last_sent_at:%m-%d %H:%M}")
    return how + " " + QCoreApplication.translate("Delivery", "No message has been sent yet.")

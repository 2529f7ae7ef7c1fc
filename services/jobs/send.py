"""Sending the WeChat outbox (services.notify.delivery.deliver_due with services.notify.wechat's client): what
`regdesk notify` does, in the job service. Consoles do not send.

The settings are read again before every pass, so an admin's edit takes effect without a restart.
WeChat not set up: nothing is sent (and nothing spent), said in the heartbeat. A configuration
error (a base URL that is not a URL, credentials WeChat refuses) is raised as ConfigError before
any message is claimed: no attempt is spent on it.
"""
from __future__ import annotations

import logging

from services.errors import ConfigError
from services.jobs.base import Context, Job
from services.notify import delivery
from services.notify.wechat import CONFIG, WeChatClient, WeChatError

log = logging.getLogger(__name__)

NOT_CONFIGURED = ("WeChat is not configured: set appid, secret and template_id "
                  "(config file [wechat], REGDESK_WECHAT_* or the console's WeChat settings)")


def checked_settings(ctx: Context, *, required: bool):
    """The WeChat settings, checked; None when not set up (ConfigError if ``required``)."""
    settings = delivery.load_wechat_settings(ctx.db, ctx.cfg)
    if not settings.configured:
        if required:
            raise ConfigError(NOT_CONFIGURED)
        return None
    delivery.check_settings(settings)
    return settings


DEFAULT_POLICY = delivery.DeliveryPolicy()


class Send(Job):
    name = "send"

    def __init__(self, timeout: float = 10.0, policy: delivery.DeliveryPolicy = DEFAULT_POLICY):
        self.timeout = timeout
        self.policy = policy
        self.client: WeChatClient | None = None
        self.last: delivery.PassResult | None = None
        self.unconfigured = False

    def run(self, ctx: Context) -> str | None:
        settings = checked_settings(ctx, required=False)
        if settings is None:  # not an error of the service: an admin has not set WeChat up (yet)
            if not self.unconfigured:
                log.warning("%s: nothing sent", NOT_CONFIGURED)
            self.unconfigured = True
            return None
        self.unconfigured = False
        if self.client is None:
            self.client = WeChatClient(ctx.db, settings, timeout=self.timeout)
        self.client.settings = settings
        try:
            result = delivery.deliver_due(ctx.db, self.client, policy=self.policy, stop=ctx.stop)
        except WeChatError as exc:
            if exc.category == CONFIG:
                raise ConfigError(f"WeChat: {exc}") from None
            raise
        self.last = result
        return None if result == delivery.PassResult() else str(result)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
            self.client = None

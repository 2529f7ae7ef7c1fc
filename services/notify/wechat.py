"""The WeChat API client: the shared access token cache and subscribe messages (订阅消息).

The access token lives in the database (table ``secrets``, readable only by the sending
account: services/notify/secret_store.py), shared by every worker: fetching a new classic token
invalidates the old one everywhere, so processes must not each fetch their own. A refresh
is guarded by a lease row (a conditional UPDATE on ``wechat_token_lock``) so only one
process talks to the token endpoint at a time; the others wait for the token it writes. A refresh after WeChat rejected a token
(40001/42001) first looks whether someone else already replaced that token.

The HTTP call never runs inside a database transaction: a slow WeChat must not hold
locks (on SQLite, the single write lock) for seconds.

Template values are cut to WeChat's limits per field type (``template_data``): the
type is the field name without its trailing number (``thing1`` -> ``thing``).
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass

import requests
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from services.clock import as_datetime, utcnow
from services.config import WeChatSettings
from services.db import Database
from services.errors import RegdeskError
from services.models import AppSetting, Secret
from services.notify.secret_store import TOKEN_KEY, TOKEN_LOCK_KEY

log = logging.getLogger(__name__)

# refresh this long before WeChat's expiry so a token never dies between read and use
TOKEN_MARGIN = dt.timedelta(minutes=5)

# error categories (WeChatError.category)
TRANSIENT = "transient"        # network, HTTP 5xx, -1, 45011: retry later with back-off
TOKEN = "token"                # 40001, 42001, 40014: refresh the access token and retry at once
UNSUBSCRIBED = "unsubscribed"  # 43101: the patient has no subscription left; do not retry
PERMANENT = "permanent"        # 40003, 47003, ...: this message can never be sent as it is
CONFIG = "config"              # token endpoint refused our appid/secret/IP: nothing can be sent

TOKEN_ERRCODES = frozenset({40001, 42001, 40014})
TRANSIENT_ERRCODES = frozenset({-1, 45009, 45011})
UNSUBSCRIBED_ERRCODES = frozenset({43101})


def classify(errcode: int) -> str:
    if errcode in TOKEN_ERRCODES:
        return TOKEN
    if errcode in TRANSIENT_ERRCODES:
        return TRANSIENT
    if errcode in UNSUBSCRIBED_ERRCODES:
        return UNSUBSCRIBED
    return PERMANENT


class WeChatError(RegdeskError):
    """WeChat refused or could not be reached. ``category`` says what the caller should do."""

    def __init__(self, message: str, *, category: str, errcode: int | None = None):
        super().__init__(message)
        self.category = category
        self.errcode = errcode


def process_id() -> str:
    """A name for this process and thread (claims and leases record who holds them)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{threading.get_ident() % 100000}:{uuid.uuid4().hex[:6]}"


def ensure_setting_rows(db: Database, keys) -> None:
    """Make sure these ``app_settings`` rows exist, so that later conditional UPDATEs and
    row locks have a row to work on (two processes inserting at once: one wins, both fine)."""
    keys = list(keys)
    with db.read() as c:
        have = set(c.execute(select(AppSetting.key).where(AppSetting.key.in_(keys))).scalars())
    for key in keys:
        if key in have:
            continue
        try:
            with db.write() as c:
                c.execute(insert(AppSetting).values(key=key, value=None, expires_at=None))
        except IntegrityError:
            pass  # another process created it first: that is all we wanted


# ---------------------------------------------------------------- template values

# WeChat's limits per template field type (characters)
LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32,
          "phone_number": 17, "car_number": 8, "name": 10, "phrase": 5}
_FIELD_RE = re.compile(r"^([a-z_]+?)(\d+)$")
_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def field_type(field: str) -> str:
    m = _FIELD_RE.match(field)
    return m.group(1) if m else field


def is_field_name(field: str) -> bool:
    return bool(_FIELD_RE.match(field))


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit - 1] + "…"


def fit_value(field: str, value: object) -> str:
    """``value`` as WeChat accepts it in a field of this type (cut, filtered, never empty)."""
    kind = field_type(field)
    text = " ".join(str(value if value is not None else "").split())
    if kind == "phrase":
        # 5 Chinese characters at most, nothing else
        text = "".join(_CJK_RE.findall(text))[:5]
        return text or "无"
    if kind == "name":
        limit = 20 if text.isascii() else 10
        return text[:limit] or "-"
    if kind == "character_string":
        text = "".join(ch for ch in text if ch.isascii() and not ch.isspace())
        return text[:32] or "-"
    if kind == "number":
        text = "".join(ch for ch in text if ch.isdigit() or ch == ".")
        return text[:32] or "0"
    if kind == "letter":
        text = "".join(ch for ch in text if ch.isascii() and ch.isalpha())
        return text[:32] or "x"
    if kind in ("phone_number", "car_number", "symbol"):
        return text[:LIMITS[kind]] or "-"
    if kind in ("time", "date", "amount"):
        # formatted by whoever produced the value (see services.notify.delivery.booking_values)
        return text or "-"
    if kind != "thing":
        log.warning("unknown WeChat template field type %r (field %s): cut to 20 characters", kind, field)
    # an ellipsis is a symbol, which thing allows
    return _cut(text, LIMITS["thing"]) or "无"


def template_data(field_map: dict[str, str], values: dict[str, object]) -> dict[str, dict[str, str]]:
    """The ``data`` of a subscribe message: each template field gets its mapped value, fitted."""
    return {field: {"value": fit_value(field, values.get(key, ""))} for field, key in field_map.items()}


# ---------------------------------------------------------------- the client

@dataclass(frozen=True)
class CachedToken:
    token: str
    appid: str
    expires_at: dt.datetime


class WeChatClient:
    """Talks to the WeChat API for one app; the token is cached in ``db`` and shared.

    One client per thread (a requests Session is not meant to be shared across threads).
    ``token_mode`` is 'stable' (/cgi-bin/stable_token, the default: a normal fetch does not
    invalidate the token other processes hold) or 'classic' (/cgi-bin/token).
    """

    def __init__(self, db: Database, settings: WeChatSettings, *, timeout: float = 10.0,
                 token_mode: str = "stable", lock_wait: float | None = None):
        if token_mode not in ("stable", "classic"):
            raise ValueError(token_mode)
        self.db = db
        self.settings = settings
        self.timeout = timeout
        self.token_mode = token_mode
        self.me = process_id()
        # a lease outlives one token request (connect + read timeouts) by a margin
        self.lease = dt.timedelta(seconds=2 * timeout + 5)
        self.lock_wait = lock_wait if lock_wait is not None else 2 * self.lease.total_seconds()
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "regdesk"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> WeChatClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def base(self) -> str:
        return self.settings.api_base.rstrip("/")

    # ------------------------------------------------------------ HTTP

    def _call(self, method: str, path: str, **kwargs) -> dict:
        """One API call; returns WeChat's JSON object or raises a TRANSIENT WeChatError."""
        url = self.base + path
        try:
            resp = self.session.request(method, url, timeout=(self.timeout, self.timeout), **kwargs)
        except requests.Timeout:
            raise WeChatError(f"微信接口超时（{self.timeout:g} 秒）", category=TRANSIENT) from None
        except requests.RequestException as exc:
            raise WeChatError(f"无法连接微信接口：{type(exc).__name__}", category=TRANSIENT) from None
        with resp:
            if resp.status_code >= 500:
                raise WeChatError(f"微信接口 HTTP {resp.status_code}", category=TRANSIENT)
            if resp.status_code != 200:
                raise WeChatError(f"微信接口 HTTP {resp.status_code}", category=PERMANENT)
            try:
                body = resp.json()
            except ValueError:
                raise WeChatError("微信接口返回的不是 JSON", category=TRANSIENT) from None
        if not isinstance(body, dict):
            raise WeChatError("微信接口返回的不是 JSON 对象", category=TRANSIENT)
        return body

    def _fetch_token(self, force: bool) -> tuple[str, int]:
        s = self.settings
        try:
            if self.token_mode == "stable":
                payload = {"grant_type": "client_credential", "appid": s.appid, "secret": s.secret,
                           "force_refresh": force}
                body = self._call("POST", "/cgi-bin/stable_token", json=payload)
            else:
                body = self._call("GET", "/cgi-bin/token", params={
                    "grant_type": "client_credential", "appid": s.appid, "secret": s.secret})
        except WeChatError as exc:
            if exc.category == TRANSIENT:
                raise
            # a 4xx from the token endpoint: wrong api_base or the like, not this message's fault
            raise WeChatError(f"获取 access_token 失败：{exc}", category=CONFIG) from None
        code = int(body.get("errcode") or 0)
        if code or not body.get("access_token"):
            msg = f"获取 access_token 失败：{code} {body.get('errmsg', '')}".strip()
            category = TRANSIENT if code in TRANSIENT_ERRCODES else CONFIG
            raise WeChatError(msg, category=category, errcode=code)
        return str(body["access_token"]), int(body.get("expires_in") or 7200)

    # ------------------------------------------------------------ token cache

    def cached_token(self) -> CachedToken | None:
        """The shared token if it is for this appid and not about to expire."""
        with self.db.read() as c:
            row = c.execute(select(Secret.value, Secret.expires_at).where(Secret.name == TOKEN_KEY)).first()
        if row is None or not row.value or row.expires_at is None:
            return None
        try:
            data = json.loads(row.value)
        except ValueError:
            return None
        expires = as_datetime(row.expires_at)
        if data.get("appid") != self.settings.appid or expires <= utcnow():
            return None
        return CachedToken(data.get("token", ""), data["appid"], expires)

    def _take_lease(self) -> bool:
        now = utcnow()
        with self.db.write() as c:
            n = c.execute(update(Secret)
                          .where(Secret.name == TOKEN_LOCK_KEY,
                                 (Secret.expires_at.is_(None)) | (Secret.expires_at < now))
                          .values(value=self.me, expires_at=now + self.lease, updated_at=now)).rowcount
        return n == 1

    def _drop_lease(self) -> None:
        with self.db.write() as c:
            c.execute(update(Secret).where(Secret.name == TOKEN_LOCK_KEY, Secret.value == self.me)
                      .values(value=None, expires_at=None, updated_at=utcnow()))

    def _store(self, token: str, expires_in: int) -> None:
        now = utcnow()
        expires = now + dt.timedelta(seconds=expires_in) - TOKEN_MARGIN
        if expires <= now:  # a test server may hand out short-lived tokens
            expires = now + dt.timedelta(seconds=max(1, expires_in // 2))
        with self.db.write() as c:
            c.execute(update(Secret).where(Secret.name == TOKEN_KEY).values(
                value=json.dumps({"appid": self.settings.appid, "token": token}), expires_at=expires,
                updated_at=now))

    def access_token(self) -> str:
        """A valid token: the cached one, else a fresh one (fetched by one process at a time)."""
        cached = self.cached_token()
        if cached is not None:
            return cached.token
        return self.refresh_token(stale=None)

    def refresh_token(self, stale: str | None) -> str:
        """Replace the token WeChat refused (``stale``), or fetch one when none is cached.

        If another process already stored a different valid token, that one is used.
        """
        deadline = time.monotonic() + self.lock_wait
        while True:
            cached = self.cached_token()
            if cached is not None and cached.token != stale:
                return cached.token
            if self._take_lease():
                try:
                    # someone may have finished a refresh between our read and our lease
                    cached = self.cached_token()
                    if cached is not None and cached.token != stale:
                        return cached.token
                    token, expires_in = self._fetch_token(force=False)
                    if token == stale and self.token_mode == "stable":
                        # a normal stable_token call hands back the same token until it expires;
                        # WeChat says that one is dead, so ask for a new one
                        token, expires_in = self._fetch_token(force=True)
                    self._store(token, expires_in)
                    log.info("fetched a new WeChat access token (expires in %ss)", expires_in)
                    return token
                finally:
                    self._drop_lease()
            if time.monotonic() > deadline:
                raise WeChatError("等待其他进程刷新微信 access_token 超时", category=TRANSIENT)
            time.sleep(0.1)  # another process holds the lease: wait for the token it writes

    # ------------------------------------------------------------ messages

    def send_subscribe(self, openid: str, data: dict, page: str | None = None) -> None:
        """Send one subscribe message. Returns when WeChat says ok; raises WeChatError otherwise.

        A rejected token (40001/42001) is refreshed and the message sent again at once.
        """
        s = self.settings
        body = {"touser": openid, "template_id": s.template_id, "page": page if page is not None else s.page,
                "data": data, "miniprogram_state": s.miniprogram_state, "lang": s.lang}
        # WeChat wants UTF-8 JSON; \\u escapes of Chinese text are best avoided
        raw = json.dumps(body, ensure_ascii=False).encode("utf-8")
        token = self.access_token()
        for attempt in (1, 2):
            reply = self._call("POST", "/cgi-bin/message/subscribe/send", params={"access_token": token},
                               data=raw, headers={"Content-Type": "application/json; charset=utf-8"})
            code = int(reply.get("errcode") or 0)
            if code == 0:
                return
            category = classify(code)
            msg = f"微信返回 {code}：{reply.get('errmsg', '')}".strip()
            if category == TOKEN and attempt == 1:
                log.info("WeChat refused the access token (%s): refreshing", code)
                token = self.refresh_token(stale=token)
                continue
            if category == TOKEN:
                category = TRANSIENT  # a brand-new token refused too: try again later
            raise WeChatError(msg, category=category, errcode=code)

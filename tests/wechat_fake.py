"""A local HTTP server that behaves like the WeChat API, for tests (no mocks of our own code).

It serves /cgi-bin/stable_token, /cgi-bin/token and /cgi-bin/message/subscribe/send on
127.0.0.1 (port 0) in a thread, checks what a real WeChat checks (appid/secret, token
valid and latest, template id, field value limits), and records every request.

Each test scripts the behaviour of the next sends:

    fake.queue("http500")                 # next send: HTTP 500
    fake.queue(("errcode", 43101))        # next send: WeChat error 43101
    fake.queue("hang")                    # next send: answer only after the client gave up
    fake.per_openid["o-x"] = ("errcode", 40003)   # every send to o-x
    fake.expire_tokens()                  # every issued token now answers 42001

A send counts as delivered only if the fake answered it with errcode 0 in time; a
"hang" records the request with outcome 'hung' and is not delivered.
"""
from __future__ import annotations

import json
import re
import threading
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

APPID = "wx-test-app"
SECRET = "test-secret"
TEMPLATE_ID = "TPL-booking-result"

ERRMSG = {
    -1: "system error",
    40001: "invalid credential, access_token is invalid or not latest",
    40003: "invalid openid",
    40013: "invalid appid",
    40125: "invalid appsecret",
    42001: "access_token expired",
    43101: "user refuse to accept the msg",
    45011: "api minute-quota reach limit",
    47003: "argument invalid!",
}
_LIMITS = {"thing": 20, "number": 32, "letter": 32, "symbol": 5, "character_string": 32,
           "phone_number": 17, "car_number": 8, "name": 20, "phrase": 5}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict
    body: object
    outcome: str = ""  # ok, errcode N, http N, hung

    @property
    def delivered(self) -> bool:
        return self.path.endswith("/subscribe/send") and self.outcome == "ok"


@dataclass
class _Token:
    value: str
    expired: bool = False
    valid: bool = True


@dataclass
class FakeWeChat:
    appid: str = APPID
    secret: str = SECRET
    template_id: str = TEMPLATE_ID
    hang_seconds: float = 5.0
    token_delay: float = 0.0  # seconds the token endpoint takes to answer (widens races)
    requests: list[Recorded] = field(default_factory=list)
    per_openid: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)  # notified on every recorded request
        self._queue: deque = deque()
        self._token_queue: deque = deque()
        self._tokens: list[_Token] = []
        self._release = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ control

    def start(self) -> FakeWeChat:
        fake = self

        class Handler(_Handler):
            server_fake = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-wechat", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # let any hanging handler finish now
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self) -> FakeWeChat:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def queue(self, *behaviours) -> None:
        """Behaviours for the next sends, in order: 'ok', 'http500', 'hang', ('errcode', N)."""
        with self._lock:
            self._queue.extend(behaviours)

    def queue_token(self, *behaviours) -> None:
        """Behaviours for the next token requests: 'http500', ('errcode', N)."""
        with self._lock:
            self._token_queue.extend(behaviours)

    def expire_tokens(self) -> None:
        with self._lock:
            for t in self._tokens:
                t.expired = True

    # ------------------------------------------------------------ what happened

    def sends(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/subscribe/send")]

    def delivered(self) -> list[Recorded]:
        return [r for r in self.sends() if r.delivered]

    def wait_delivered(self, n: int, timeout: float = 10.0) -> bool:
        """Block until ``n`` messages were delivered (for tests of background senders)."""
        with self._changed:
            return self._changed.wait_for(
                lambda: sum(1 for r in self.requests if r.delivered) >= n, timeout)

    def token_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path in ("/cgi-bin/token", "/cgi-bin/stable_token")]

    # ------------------------------------------------------------ behaviour

    def _current(self) -> _Token | None:
        live = [t for t in self._tokens if t.valid and not t.expired]
        return live[-1] if live else None

    def _issue(self) -> _Token:
        for t in self._tokens:  # a new token invalidates the old ones
            t.valid = False
        tok = _Token("TOKEN-" + uuid.uuid4().hex)
        self._tokens.append(tok)
        return tok

    def token_reply(self, rec: Recorded, appid: str, secret: str, grant: str, force: bool) -> tuple[int, dict]:
        with self._lock:
            self.requests.append(rec)
            behaviour = self._token_queue.popleft() if self._token_queue else "ok"
            if behaviour == "http500":
                rec.outcome = "http 500"
                return 500, {}
            if isinstance(behaviour, tuple):
                code = behaviour[1]
            elif grant != "client_credential":
                code = 40002
            elif appid != self.appid:
                code = 40013
            elif secret != self.secret:
                code = 40125
            else:
                code = 0
            if code:
                rec.outcome = f"errcode {code}"
                return 200, {"errcode": code, "errmsg": ERRMSG.get(code, "error")}
            # stable_token without force hands back the current token; anything else a new one
            tok = self._current() if (rec.path.endswith("stable_token") and not force) else None
            tok = tok or self._issue()
            rec.outcome = "ok"
            return 200, {"access_token": tok.value, "expires_in": 7200}

    def send_reply(self, rec: Recorded, token: str) -> tuple[int, dict] | str:
        with self._lock:
            self.requests.append(rec)
            body = rec.body if isinstance(rec.body, dict) else {}
            match = [t for t in self._tokens if t.value == token]
            if not match or not match[0].valid:
                return self._answer(rec, 40001)
            if match[0].expired:
                return self._answer(rec, 42001)
            behaviour = self.per_openid.get(body.get("touser"))
            if behaviour is None:
                behaviour = self._queue.popleft() if self._queue else "ok"
            if behaviour == "hang":
                rec.outcome = "hung"
                return "hang"
            if behaviour == "http500":
                rec.outcome = "http 500"
                return 500, {}
            if isinstance(behaviour, tuple):
                return self._answer(rec, behaviour[1])
            problem = self._check(body)
            if problem:
                rec.outcome = "errcode 47003"
                return 200, {"errcode": 47003, "errmsg": f"argument invalid! {problem}"}
            return self._answer(rec, 0)

    def _answer(self, rec: Recorded, code: int) -> tuple[int, dict]:
        rec.outcome = "ok" if code == 0 else f"errcode {code}"
        self._changed.notify_all()  # called with the lock held
        return 200, {"errcode": code, "errmsg": "ok" if code == 0 else ERRMSG.get(code, "error")}

    def _check(self, body: dict) -> str | None:
        """What a real WeChat would refuse with 47003/40037 (checked loosely but strictly enough)."""
        if body.get("template_id") != self.template_id:
            return "template_id"
        if not body.get("touser"):
            return "touser"
        if body.get("miniprogram_state") not in ("developer", "trial", "formal"):
            return "miniprogram_state"
        data = body.get("data")
        if not isinstance(data, dict) or not data:
            return "data"
        for name, item in data.items():
            value = item.get("value") if isinstance(item, dict) else None
            if not isinstance(value, str) or not value:
                return f"data.{name}.value is empty"
            kind = re.sub(r"\d+$", "", name)
            limit = _LIMITS.get(kind)
            if kind == "name" and not value.isascii():
                limit = 10
            if limit is not None and len(value) > limit:
                return f"data.{name}.value exceeds limit"
            if kind == "phrase" and not re.fullmatch(r"[\u4e00-\u9fff]+", value):
                return f"data.{name}.value invalid"
        return None


class _Handler(BaseHTTPRequestHandler):
    server_fake: FakeWeChat
    protocol_version = "HTTP/1.1"

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def _body(self) -> object:
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            return raw.decode("utf-8", "replace")

    def _send(self, status: int, obj: dict) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        rec = Recorded("GET", url.path, q, None)
        if url.path == "/cgi-bin/token":
            if self.server_fake.token_delay:
                self.server_fake._release.wait(self.server_fake.token_delay)
            status, obj = self.server_fake.token_reply(rec, q.get("appid", ""), q.get("secret", ""),
                                                       q.get("grant_type", ""), force=True)
            self._send(status, obj)
        else:
            self._send(404, {})

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        body = self._body()
        rec = Recorded("POST", url.path, q, body)
        fake = self.server_fake
        if url.path in ("/cgi-bin/stable_token", "/cgi-bin/token") and fake.token_delay:
            fake._release.wait(fake.token_delay)
        if url.path == "/cgi-bin/stable_token":
            b = body if isinstance(body, dict) else {}
            status, obj = fake.token_reply(rec, b.get("appid", ""), b.get("secret", ""),
                                           b.get("grant_type", ""), bool(b.get("force_refresh")))
            self._send(status, obj)
        elif url.path == "/cgi-bin/message/subscribe/send":
            reply = fake.send_reply(rec, q.get("access_token", ""))
            if reply == "hang":
                # answer only after the client's timeout (or when the fake stops)
                fake._release.wait(fake.hang_seconds)
                try:
                    self._send(200, {"errcode": 0, "errmsg": "ok"})
                except OSError:
                    pass  # the client hung up long ago
                return
            self._send(*reply)
        else:
            self._send(404, {})


def settings_for(fake: FakeWeChat, **overrides):
    """WeChatSettings pointing at the fake (the page carries the booking id, as docs/wechat.md advises)."""
    from services.config import WeChatSettings
    from services.notify.wechat_settings import DEFAULT_FIELD_MAP
    values = dict(appid=fake.appid, secret=fake.secret, template_id=fake.template_id, api_base=fake.url,
                  page="pages/booking/detail?id={booking_id}", miniprogram_state="formal", lang="zh_CN",
                  field_map=dict(DEFAULT_FIELD_MAP))
    values.update(overrides)
    return WeChatSettings(**values)

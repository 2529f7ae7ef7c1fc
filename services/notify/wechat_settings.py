"""WeChat settings as the console edits them, and where each effective value comes from.

Settings come from three places; the first that sets a value wins:

1. the environment (``REGDESK_WECHAT_*``),
2. the config file's ``[wechat]`` table,
3. the database (``app_settings`` rows ``wechat.appid``, ``wechat.template_id``, ...), written by
   an admin in the console, shared by every console and worker on that database; the AppSecret
   in the ``secrets`` table (services/notify/secret_store.py), which only the sending account can read.

So a deployment can pin a value (e.g. the secret in the environment of the notify
service) and the console then shows it as read-only. The console never reads the secret
back: ``describe_wechat_settings`` says only whether one is set; ``load_wechat_settings``
(what a sender needs) reads it, and raises SecretUnreadable for an account that may not.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, fields, replace

from sqlalchemy import select, update

from services import config as config_mod, limits
from services.clock import utcnow
from services.config import Config, WeChatSettings
from services.db import Database
from services.errors import ConfigError, ValidationError
from services.models import AppSetting
from services.notify import secret_store
from services.notify.wechat import ensure_setting_rows, field_type, is_field_name
from services.staff import audit
from services.staff.actor import Actor

log = logging.getLogger(__name__)

FIELDS = tuple(f.name for f in fields(WeChatSettings))
DB_PREFIX = "wechat."
# the same names services.config reads; kept here to tell which values the environment pins
ENV_VARS = {"appid": "REGDESK_WECHAT_APPID", "secret": "REGDESK_WECHAT_SECRET",
            "template_id": "REGDESK_WECHAT_TEMPLATE_ID", "api_base": "REGDESK_WECHAT_API_BASE",
            "page": "REGDESK_WECHAT_PAGE", "miniprogram_state": "REGDESK_WECHAT_STATE"}

# booking value keys a template field can show (docs/wechat.md explains each)
VALUE_KEYS = {
    "patient_name": "患者姓名", "hospital": "医院", "department": "科室", "doctor": "医生（含职称）",
    "doctor_name": "医生姓名", "visit_time": "就诊时间（日期+开始时间）", "visit_date": "就诊日期",
    "visit_period": "就诊时段（08:00~08:30）",
    "result": "通知类别（预约成功/预约失败/预约已满/停诊/已取消/就诊提醒/更换医生/时间变更）",
    "reason": "原因或提示", "remark": "温馨提示", "booking_no": "预约号",
}
DEFAULT_FIELD_MAP = {"thing1": "patient_name", "thing2": "department", "time3": "visit_time",
                     "phrase4": "result", "thing5": "reason"}
STATES = ("developer", "trial", "formal")
LANGS = ("zh_CN", "en_US", "zh_HK", "zh_TW")
SOURCE_LABELS = {"environment": "环境变量", "config file": "配置文件", "database": "控制台设置", "default": "默认值"}


def _outside_values(cfg: Config) -> dict[str, tuple[object, str]]:
    """Fields that the environment or the config file set: field -> (value, source).
    The database cannot override these."""
    try:
        in_file = dict(config_mod._read_file(config_mod.config_path()).get("wechat", {}))
    except Exception:
        in_file = {}
    default = WeChatSettings()
    out: dict[str, tuple[object, str]] = {}
    for f in FIELDS:
        var = ENV_VARS.get(f)
        if var and os.environ.get(var):
            out[f] = (os.environ[var], "environment")
        elif f in in_file:
            value = in_file[f]
            out[f] = ({str(k): str(v) for k, v in value.items()} if f == "field_map" and isinstance(value, dict)
                      else str(value), "config file")
        elif getattr(cfg.wechat, f) != getattr(default, f):
            # a Config built in code (an embedding program, tests) counts as a config file
            out[f] = (getattr(cfg.wechat, f), "config file")
    return out


def _db_values(db: Database) -> dict[str, str]:
    """The stored settings but the secret (which is not in app_settings)."""
    with db.read() as conn:
        rows = conn.execute(select(AppSetting.key, AppSetting.value)
                            .where(AppSetting.key.in_([DB_PREFIX + f for f in FIELDS if f != "secret"]))).all()
    return {k[len(DB_PREFIX):]: v for k, v in rows if v not in (None, "")}


def _parse_field_map(raw: str) -> dict[str, str]:
    try:
        value = json.loads(raw)
    except ValueError:
        log.warning("ignoring an unreadable wechat.field_map in the database")
        return {}
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


@dataclass(frozen=True)
class SettingsView:
    """The effective settings and, per field, where the value comes from (for the settings page).
    ``settings.secret`` is empty unless the environment or the config file sets it: a secret stored
    in the database is never read here, only ``secret_set`` says that there is one."""
    settings: WeChatSettings
    sources: dict[str, str]  # field -> 'environment' | 'config file' | 'database' | 'default'
    secret_set: bool = False

    def editable(self, name: str) -> bool:
        return self.sources.get(name) in ("database", "default")

    @property
    def configured(self) -> bool:
        """AppID, AppSecret and template are all there (wherever they come from)."""
        s = self.settings
        return bool(s.appid and s.template_id and self.secret_set)


def describe_wechat_settings(db: Database, cfg: Config) -> SettingsView:
    outside = _outside_values(cfg)
    stored = _db_values(db)
    values: dict = {}
    sources: dict[str, str] = {}
    for f in FIELDS:
        if f in outside:
            values[f], sources[f] = outside[f]
        elif f in stored:
            values[f] = _parse_field_map(stored[f]) if f == "field_map" else stored[f]
            sources[f] = "database"
        else:
            sources[f] = "default"
    if "secret" in outside:
        secret_set = bool(values.get("secret"))
    else:
        secret_set = secret_store.state(db).is_set
        sources["secret"] = "database" if secret_set else "default"
    settings = WeChatSettings(**values)
    if not settings.field_map:
        settings = replace(settings, field_map=dict(DEFAULT_FIELD_MAP))
    return SettingsView(settings, sources, secret_set)


def load_wechat_settings(db: Database, cfg: Config) -> WeChatSettings:
    """The effective WeChat settings, the secret included (what a sender needs): environment >
    config file > database > defaults. SecretUnreadable when the secret is stored in the database
    and this database account may not read it (a desk PC: the job service sends)."""
    view = describe_wechat_settings(db, cfg)
    if view.sources["secret"] == "database":
        return replace(view.settings, secret=secret_store.read(db))
    return view.settings


def api_base_problem(value: str) -> str | None:
    """What is wrong with a WeChat API base URL (an http(s) URL with a host), or None."""
    from urllib.parse import urlsplit
    if limits.refused_char(value) is not None or any(ch.isspace() for ch in value):
        return f"接口地址不能包含空格或控制字符：{limits.shown(value)!r}"
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for ':abc' or ':99999'
    except ValueError:
        return f"接口地址不是有效的网址：{limits.shown(value)!r}"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"接口地址须为 http:// 或 https:// 开头的网址：{limits.shown(value)!r}"
    return None


def check_settings(settings: WeChatSettings) -> None:
    """Refuse settings that cannot work, before any message is claimed: a sender must not spend
    an attempt of every message on a base URL that is not a URL. Raises ConfigError."""
    problems = []
    bad = api_base_problem(settings.api_base)
    if bad:
        problems.append(bad)
    for name in ("appid", "secret", "template_id", "page"):
        value = getattr(settings, name)
        if limits.refused_char(value) is not None or len(value) > 500 \
                or (name != "page" and any(c.isspace() for c in value)):
            problems.append(f"{name} 不能包含空格或控制字符，且不超过 500 个字符")
    if settings.miniprogram_state not in STATES:
        problems.append(f"小程序版本须为 {' / '.join(STATES)}：{limits.shown(settings.miniprogram_state)!r}")
    if settings.lang not in LANGS:
        problems.append(f"语言须为 {' / '.join(LANGS)}：{limits.shown(settings.lang)!r}")
    try:
        validate_field_map(settings.field_map)
    except ValidationError as exc:
        problems.append(str(exc))
    if problems:
        raise ConfigError("微信设置有误：" + "；".join(problems))


def validate_field_map(field_map: dict) -> dict[str, str]:
    if not isinstance(field_map, dict) or not field_map:
        raise ValidationError("字段映射不能为空", field="field_map")
    out = {}
    for name, key in field_map.items():
        name, key = str(name).strip(), str(key).strip()
        if not is_field_name(name):
            raise ValidationError(f"模板字段名不正确：{name}（应如 thing1、time3）", field="field_map")
        if key not in VALUE_KEYS:
            raise ValidationError(f"未知的取值：{key}（可用：{', '.join(VALUE_KEYS)}）", field="field_map")
        if field_type(name) == "phrase" and key not in ("result",):
            log.info("field %s (phrase: 5 Chinese characters) shows %s: it will be cut", name, key)
        out[name] = key
    return out


def save_wechat_settings(db: Database, actor: Actor, *, appid: str | None = None, secret: str | None = None,
                         template_id: str | None = None, api_base: str | None = None, page: str | None = None,
                         miniprogram_state: str | None = None, lang: str | None = None,
                         field_map: dict[str, str] | None = None) -> None:
    """Store the admin's WeChat settings in the database. None leaves a value as it is;
    an empty string removes the stored value (back to the default)."""
    actor.require("wechat.settings")
    changes: dict[str, str] = {}
    for name, value in (("appid", appid), ("secret", secret), ("template_id", template_id),
                        ("api_base", api_base), ("page", page)):
        if value is not None:
            value = value.strip()
            if len(value) > 500 or any(ch.isspace() for ch in value) or limits.refused_char(value) is not None:
                raise ValidationError(f"{name} 不能包含空格或控制字符，且不超过 500 个字符", field=name)
            changes[name] = value
    if changes.get("api_base") and api_base_problem(changes["api_base"]):
        raise ValidationError(api_base_problem(changes["api_base"]), field="api_base")
    if miniprogram_state is not None:
        if miniprogram_state not in STATES + ("",):
            raise ValidationError(f"小程序版本须为 {' / '.join(STATES)}", field="miniprogram_state")
        changes["miniprogram_state"] = miniprogram_state
    if lang is not None:
        if lang not in LANGS + ("",):
            raise ValidationError(f"语言须为 {' / '.join(LANGS)}", field="lang")
        changes["lang"] = lang
    if field_map is not None:
        changes["field_map"] = json.dumps(validate_field_map(field_map), ensure_ascii=False)
    if not changes:
        return
    new_secret = changes.pop("secret", None)
    ensure_setting_rows(db, [DB_PREFIX + k for k in changes])

    def fn(conn) -> None:
        now = utcnow()
        for name, value in changes.items():
            conn.execute(update(AppSetting).where(AppSetting.key == DB_PREFIX + name)
                         .values(value=value or None, updated_at=now))
        if new_secret is not None:
            # also forgets the token fetched with the old secret; a token of another appid is
            # ignored by the client (services.notify.wechat.WeChatClient.cached_token)
            secret_store.set_secret(conn, new_secret)
        shown: dict[str, str] = dict(changes)
        if new_secret is not None:
            shown["secret"] = "***" if new_secret else ""
        audit.record(conn, actor, "wechat.settings", "setting", "wechat", shown)
    db.run(fn)

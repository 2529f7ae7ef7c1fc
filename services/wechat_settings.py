"""WeChat settings as the console edits them, and where each effective value comes from.

Settings come from three places; the first that sets a value wins:

1. the environment (``REGDESK_WECHAT_*``),
2. the config file's ``[wechat]`` table,
3. the database (``app_settings`` rows ``wechat.appid``, ``wechat.secret``, ...), written by an
   admin in the console, shared by every console and worker on that database.

So a deployment can pin a value (e.g. the secret in the environment of the notify
service) and the console then shows it as read-only. The secret stored in the database
is plain text: anyone who can read ``app_settings`` can read it.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, fields, replace

from sqlalchemy import select, update

from services import audit
from services import config as config_mod
from services.actor import Actor
from services.clock import utcnow
from services.config import Config, WeChatSettings
from services.db import Database
from services.errors import ValidationError
from services.models import AppSetting
from services.wechat import TOKEN_KEY, ensure_setting_rows, field_type, is_field_name

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
    except Exception:  # noqa: BLE001 - a broken file was reported when cfg was loaded
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
    with db.read() as conn:
        rows = conn.execute(select(AppSetting.key, AppSetting.value)
                            .where(AppSetting.key.in_([DB_PREFIX + f for f in FIELDS]))).all()
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
    """The effective settings and, per field, where the value comes from (for the settings page)."""
    settings: WeChatSettings
    sources: dict[str, str]  # field -> 'environment' | 'config file' | 'database' | 'default'

    def editable(self, name: str) -> bool:
        return self.sources.get(name) in ("database", "default")


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
    settings = WeChatSettings(**values)
    if not settings.field_map:
        settings = replace(settings, field_map=dict(DEFAULT_FIELD_MAP))
    return SettingsView(settings, sources)


def load_wechat_settings(db: Database, cfg: Config) -> WeChatSettings:
    """The effective WeChat settings: environment > config file > database > defaults."""
    return describe_wechat_settings(db, cfg).settings


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
            if len(value) > 500 or any(ch.isspace() for ch in value):
                raise ValidationError(f"{name} 不能包含空格，且不超过 500 个字符", field=name)
            changes[name] = value
    if changes.get("api_base") and not changes["api_base"].startswith(("http://", "https://")):
        raise ValidationError("接口地址须以 http:// 或 https:// 开头", field="api_base")
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
    ensure_setting_rows(db, [DB_PREFIX + k for k in changes])

    def fn(conn) -> None:
        now = utcnow()
        for name, value in changes.items():
            conn.execute(update(AppSetting).where(AppSetting.key == DB_PREFIX + name)
                         .values(value=value or None, updated_at=now))
        if "appid" in changes or "secret" in changes:
            # a token belongs to the old credentials
            conn.execute(update(AppSetting).where(AppSetting.key == TOKEN_KEY)
                         .values(value=None, expires_at=None, updated_at=now))
        shown = {k: ("***" if k == "secret" and v else v) for k, v in changes.items()}
        audit.record(conn, actor, "wechat.settings", "setting", "wechat", shown)
    db.run(fn)

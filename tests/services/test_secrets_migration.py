"""Revision 0006_accounts on a database that already holds WeChat settings: the AppSecret and the
cached token move from app_settings to secrets, nothing else changes, on every database."""
from __future__ import annotations

from alembic import command
from sqlalchemy import select, text

from services import migrate
from services.config import Config, WeChatSettings
from services.db import Database
from services.models import AppSetting, Secret
from services.notify.wechat_settings import describe_wechat_settings, load_wechat_settings


def test_existing_secret_and_token_move_out_of_app_settings(db_url):
    db = Database(db_url)
    try:
        cfg = migrate._alembic_config()
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0002")
        with db.engine.begin() as conn:
            for key, value in (("wechat.appid", "wx-old"), ("wechat.secret", "old-secret"),
                               ("wechat.template_id", "TPL"), ("wechat_token", '{"appid": "wx-old", "token": "t"}')):
                conn.execute(text("INSERT INTO app_settings (" + ("`key`" if db.dialect == "mysql" else "key")
                                  + ", value) VALUES (:k, :v)"), {"k": key, "v": value})
        migrate.upgrade(db)
        with db.read() as conn:
            # what the revision left of the WeChat settings (later revisions add settings of their own)
            kept = dict(conn.execute(select(AppSetting.key, AppSetting.value)
                                     .where(AppSetting.key.like("wechat%"))).all())
            moved = dict(conn.execute(select(Secret.name, Secret.value)).all())
        assert kept == {"wechat.appid": "wx-old", "wechat.template_id": "TPL"}
        assert moved == {"wechat.secret": "old-secret", "wechat_token": '{"appid": "wx-old", "token": "t"}',
                         "wechat_token_lock": None}
        nothing = Config("", WeChatSettings())
        assert load_wechat_settings(db, nothing).secret == "old-secret"
        view = describe_wechat_settings(db, nothing)
        assert view.secret_set and view.settings.secret == "" and view.sources["secret"] == "database"
    finally:
        db.dispose()

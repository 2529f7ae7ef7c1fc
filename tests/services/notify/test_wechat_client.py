"""The WeChat client against a local fake of the WeChat API: the shared token, errors, timeouts,
template value limits, and the WeChat settings stored in the database."""
from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import select

from services import config as config_mod
from services.db import Database
from services.errors import PermissionDenied, ValidationError
from services.models import AuditLog, Secret
from services.notify.wechat import (
    CONFIG,
    PERMANENT,
    TRANSIENT,
    UNSUBSCRIBED,
    WeChatClient,
    WeChatError,
    fit_value,
    template_data,
)
from services.notify.wechat_settings import (
    DEFAULT_FIELD_MAP,
    describe_wechat_settings,
    load_wechat_settings,
    save_wechat_settings,
)
from services.staff.actor import Actor
from tests.wechat_fake import FakeWeChat, settings_for

ADMIN = Actor(kind="staff", name="admin1", role="admin")
CLERK = Actor(kind="staff", name="clerk1", role="clerk")
DATA = {"thing1": {"value": "张三"}, "phrase4": {"value": "预约成功"}}


@pytest.fixture
def fake():
    with FakeWeChat() as f:
        yield f


@pytest.fixture
def client(db, fake):
    with WeChatClient(db, settings_for(fake), timeout=0.5) as c:
        yield c


# ---------------------------------------------------------------- token cache

def test_token_is_fetched_once_and_shared_through_the_database(db, db_url, fake, client):
    token = client.access_token()
    assert client.access_token() == token
    other_db = Database(db_url)  # another process: its own engine, same database
    try:
        with WeChatClient(other_db, settings_for(fake)) as other:
            assert other.access_token() == token
    finally:
        other_db.dispose()
    assert len(fake.token_requests()) == 1


def test_processes_refreshing_at_once_fetch_one_classic_token(db, db_url, fake):
    # a classic token fetch invalidates every earlier token: only one process may fetch
    n = 4
    fake.token_delay = 0.3  # the first fetch is still under way when the others look
    barrier = threading.Barrier(n)
    tokens, errors = [], []

    def worker():
        wdb = Database(db_url)
        try:
            with WeChatClient(wdb, settings_for(fake), token_mode="classic", timeout=2) as c:
                barrier.wait()
                tokens.append(c.access_token())
        except Exception as exc:
            errors.append(exc)
        finally:
            wdb.dispose()

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(set(tokens)) == 1 and len(tokens) == n
    assert len(fake.token_requests()) == 1


def test_expired_token_is_refreshed_and_the_message_sent_at_once(client, fake):
    first = client.access_token()
    fake.expire_tokens()
    client.send_subscribe("o-patient", DATA, "pages/x")
    outcomes = [r.outcome for r in fake.sends()]
    assert outcomes == ["errcode 42001", "ok"]
    assert fake.sends()[1].query["access_token"] != first
    assert len(fake.token_requests()) == 2


def test_a_token_another_process_already_replaced_is_not_fetched_again(client, fake):
    current = client.access_token()
    # WeChat refused some older token; the cached one is newer, so no fetch is needed
    assert client.refresh_token(stale="TOKEN-older") == current
    assert len(fake.token_requests()) == 1


def test_wrong_secret_is_a_configuration_error_and_nothing_is_cached(db, fake):
    with WeChatClient(db, settings_for(fake, secret="wrong")) as c:
        with pytest.raises(WeChatError) as info:
            c.access_token()
        assert info.value.category == CONFIG
        assert "40125" in str(info.value) and "invalid appsecret" in str(info.value)
        assert c.cached_token() is None


def test_token_endpoint_500_is_transient(client, fake):
    fake.queue_token("http500")
    with pytest.raises(WeChatError) as info:
        client.access_token()
    assert info.value.category == TRANSIENT
    assert client.access_token().startswith("TOKEN-")  # the next try works


def test_token_of_another_appid_is_not_used(db, fake, client):
    client.access_token()
    with WeChatClient(db, settings_for(fake, appid="wx-other")) as other:
        assert other.cached_token() is None


# ---------------------------------------------------------------- errors

@pytest.mark.parametrize("code,category", [(43101, UNSUBSCRIBED), (40003, PERMANENT), (47003, PERMANENT),
                                           (-1, TRANSIENT), (45011, TRANSIENT)])
def test_wechat_errors_are_classified(client, fake, code, category):
    fake.queue(("errcode", code))
    with pytest.raises(WeChatError) as info:
        client.send_subscribe("o-patient", DATA)
    assert (info.value.errcode, info.value.category) == (code, category)
    assert str(code) in str(info.value)


def test_http_500_is_transient(client, fake):
    fake.queue("http500")
    with pytest.raises(WeChatError) as info:
        client.send_subscribe("o-patient", DATA)
    assert info.value.category == TRANSIENT and "500" in str(info.value)


def test_a_reply_slower_than_the_timeout_is_a_transient_error(client, fake):
    fake.queue("hang")
    with pytest.raises(WeChatError) as info:
        client.send_subscribe("o-patient", DATA)
    assert info.value.category == TRANSIENT and "超时" in str(info.value)
    assert [r.outcome for r in fake.sends()] == ["hung"]
    client.send_subscribe("o-patient", DATA)  # the connection pool recovers
    assert len(fake.delivered()) == 1


def test_unreachable_server_is_transient(db):
    # nothing listens on port 9 of localhost (discard) in the test environment
    s = config_mod.WeChatSettings(appid="a", secret="b", template_id="t", api_base="http://127.0.0.1:9")
    with WeChatClient(db, s, timeout=0.5) as c:
        with pytest.raises(WeChatError) as info:
            c.access_token()
    assert info.value.category == TRANSIENT


# ---------------------------------------------------------------- template values (no server needed)

def test_values_are_cut_to_wechat_limits():
    long_text = "因医生临时参加院内紧急会诊，本时段门诊暂停，请您改约其他时间，给您带来不便敬请谅解"
    assert len(fit_value("thing5", long_text)) == 20 and fit_value("thing5", long_text).endswith("…")
    assert fit_value("phrase4", "预约成功!") == "预约成功"
    assert fit_value("phrase4", "停诊 stopped") == "停诊"
    assert fit_value("name1", "欧阳娜娜娜娜娜娜娜娜娜") == "欧阳娜娜娜娜娜娜娜娜"
    assert fit_value("character_string7", "No.123 号") == "No.123"
    assert fit_value("number2", "约 42 号") == "42"
    assert fit_value("thing2", "") == "无" and fit_value("thing2", None) == "无"
    assert fit_value("time3", "2025年3月4日 08:30") == "2025年3月4日 08:30"
    assert fit_value("thing1", "a\n b") == "a b"


def test_template_data_maps_fields_to_values():
    data = template_data(DEFAULT_FIELD_MAP, {"patient_name": "王五", "department": "内科",
                                             "visit_time": "2025年3月4日 08:30", "result": "预约成功",
                                             "reason": "请按时就诊"})
    assert data == {"thing1": {"value": "王五"}, "thing2": {"value": "内科"},
                    "time3": {"value": "2025年3月4日 08:30"}, "phrase4": {"value": "预约成功"},
                    "thing5": {"value": "请按时就诊"}}


def test_fake_refuses_a_value_over_the_limit(client, fake):
    # shows the fake checks what WeChat checks, so the delivery tests prove the cutting
    with pytest.raises(WeChatError) as info:
        client.send_subscribe("o-patient", {"thing1": {"value": "字" * 21}})
    assert info.value.errcode == 47003 and "thing1" in str(info.value)


# ---------------------------------------------------------------- settings

def _cfg(**wechat) -> config_mod.Config:
    return config_mod.Config(database_url="sqlite://", wechat=config_mod.WeChatSettings(**wechat))


def test_settings_saved_in_the_database_apply_when_nothing_else_sets_them(db):
    save_wechat_settings(db, ADMIN, appid="wx-db", secret="s-db", template_id="tpl-db",
                         field_map={"thing1": "patient_name", "phrase2": "result"})
    s = load_wechat_settings(db, _cfg())
    assert (s.appid, s.secret, s.template_id) == ("wx-db", "s-db", "tpl-db")
    assert s.field_map == {"thing1": "patient_name", "phrase2": "result"}
    assert s.api_base == "https://api.weixin.qq.com"
    with db.read() as c:
        detail = c.execute(select(AuditLog.detail).where(AuditLog.action == "wechat.settings")).scalar_one()
    assert json.loads(detail)["secret"] == "***"


def test_environment_beats_config_file_beats_database(db, monkeypatch, tmp_path):
    save_wechat_settings(db, ADMIN, appid="wx-db", secret="s-db", template_id="tpl-db", page="pages/db")
    config_mod.config_path().write_text('[wechat]\nappid = "wx-file"\ntemplate_id = "tpl-file"\n',
                                        encoding="utf-8")
    monkeypatch.setenv("REGDESK_WECHAT_APPID", "wx-env")
    view = describe_wechat_settings(db, config_mod.load())
    s = view.settings
    assert (s.appid, s.template_id, s.page) == ("wx-env", "tpl-file", "pages/db")
    # the view (what the settings page shows) never holds a stored secret, only whether there is one
    assert s.secret == "" and view.secret_set and view.configured
    assert load_wechat_settings(db, config_mod.load()).secret == "s-db"
    assert view.sources["appid"] == "environment" and view.sources["template_id"] == "config file"
    assert view.sources["secret"] == "database" and view.sources["lang"] == "default"
    assert not view.editable("appid") and view.editable("secret")
    assert s.field_map == DEFAULT_FIELD_MAP


def test_only_an_admin_may_change_wechat_settings(db):
    with pytest.raises(PermissionDenied):
        save_wechat_settings(db, CLERK, appid="wx-x")
    assert load_wechat_settings(db, _cfg()).appid == ""


@pytest.mark.parametrize("kwargs", [{"api_base": "ftp://x"}, {"miniprogram_state": "beta"},
                                    {"field_map": {"thing1": "nonsense"}}, {"field_map": {"bad name": "result"}},
                                    {"appid": "wx with space"}])
def test_bad_settings_are_refused_and_nothing_changes(db, kwargs):
    with pytest.raises(ValidationError):
        save_wechat_settings(db, ADMIN, template_id="tpl-new", **kwargs)
    assert load_wechat_settings(db, _cfg()).template_id == ""


def test_new_credentials_drop_the_cached_token(db, fake, client):
    client.access_token()
    save_wechat_settings(db, ADMIN, secret="rotated")
    with db.read() as c:
        assert c.execute(select(Secret.value).where(Secret.name == "wechat_token")).scalar() is None
    assert client.cached_token() is None

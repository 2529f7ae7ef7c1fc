"""Bad input on the command line, class by class: numbers too large for the database or for Python,
floats that are not sane, URLs and file names that cannot work, control characters and bytes that are
not UTF-8, a WeChat configuration that cannot work. Each is refused with exit code != 0, exactly one
line on stderr, no traceback, and every table of the database as it was (tests/snapshot.py).
Commands that act as a person are logged in (as the hospital's admin): what they refuse is the bad
input, not a missing log-in."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from services import limits
from services.cli import main
from tests import factories as f
from tests.bad_input import ADMIN, BIG, HUGE, MONDAY, Hospital, refused
from tests.dbs import DIALECTS
from tests.snapshot import snapshot

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module", params=DIALECTS)
def hosp(request, tmp_path_factory):
    h = Hospital(request.param, tmp_path_factory.mktemp("bad-cli"))
    yield h
    h.close()


@pytest.fixture(scope="module")
def sqlite_hosp(tmp_path_factory):
    h = Hospital("sqlite", tmp_path_factory.mktemp("bad-cli-sqlite"))
    yield h
    h.close()


@pytest.fixture(autouse=True)
def admin_logs_in(monkeypatch):  # commands that act as a person
    f.cli_logs_in_as(monkeypatch, ADMIN)


def _template(doctor="{zhang}", places="2", minutes="30") -> list[str]:
    return ["roster", "template", "add", "--doctor", doctor, "--weekday", "5", "--period", "am", "--start",
            "08:00", "--end", "12:00", "--slot-minutes", minutes, "--places", places]


# every integer the command line takes, too large for the database, for Python, or for the domain
NUMBERS = [
    (["simulate", "--bookings", BIG], "--bookings: must be at most 1000000"),
    (["simulate", "--bookings", HUGE], "is too long (5000 characters)"),
    (["simulate", "--bookings", "9" * 4000], "--bookings: must be at most 1000000"),
    (["simulate", "--bookings", "٣"], "not a whole number"),  # int() would take Arabic-Indic digits
    (["roster", "stop", BIG, "--reason", "医生外出"], "must be at most 2147483647"),
    (["roster", "stop", HUGE, "--reason", "医生外出"], "is too long"),
    (["roster", "stop", "2147483647", "--reason", "医生外出"], "没有出诊 ID 2147483647"),
    (["roster", "substitute", "{session}", "--doctor", BIG], "--doctor: must be at most 2147483647"),
    (["roster", "substitute", "{session}", "--doctor", "2147483647"], "没有医生 ID 2147483647"),
    (_template(doctor=BIG), "--doctor: must be at most 2147483647"),
    (_template(places=BIG), "--places: must be at most 9999"),
    (_template(places="100000"), "--places: must be at most 9999"),  # the importer's limit too
    (_template(places="1250"), "一次出诊 10000 号，最多 9999 号"),  # 8 slots: 共10000号 could not be imported
    (_template(minutes=BIG), "--slot-minutes: must be at most 1440"),
    (["watch", "--after", str(10**23)], "must be at most 9223372036854775807"),
    (["watch", "--after", str(10**18)], "变更编号 1000000000000000000 还不存在"),  # would wait forever
    (["autoapprove", "--once", "--limit", BIG], "--limit: must be at most 1000000"),
    (["notify", "--once", "--max-attempts", BIG], "--max-attempts: must be at most 100"),
    (["simulate", "--bookings", "3", "--seed", BIG], "--seed: must be at most 9223372036854775807"),
]


@pytest.mark.parametrize("argv, expect", NUMBERS, ids=[" ".join(a)[:40] for a, _ in NUMBERS])
def test_numbers_out_of_range(hosp, capsys, argv, expect):
    argv = [a.format(**hosp.ids) for a in argv]
    refused(capsys, [*argv, "--db", hosp.url], hosp.url, expect=expect)


FLOATS = ["-1", "0", "0.05", "nan", "NaN", "inf", "-inf", "1e308", "1_0", "", "3601"]


@pytest.mark.parametrize("value", FLOATS)
@pytest.mark.parametrize("option", [["autoapprove", "--interval"], ["autoapprove", "--once", "--interval"],
                                    ["notify", "--interval"], ["notify", "--once", "--timeout"]])
def test_floats_are_refused_not_clamped(sqlite_hosp, capsys, option, value):
    err = refused(capsys, [*option, value, "--db", sqlite_hosp.url], sqlite_hosp.url)
    # "-inf" reads as an option to argparse: refused all the same, with "expected one argument"
    assert "not a number" in err or "must be between 0.1 and" in err or "expected one argument" in err


@pytest.mark.parametrize("value", ["nan", "inf", "-0.1", "1.5"])
def test_ratios(sqlite_hosp, capsys, value):
    refused(capsys, ["simulate", "--bookings", "3", "--cancel-ratio", value, "--db", sqlite_hosp.url],
            sqlite_hosp.url)


@pytest.mark.parametrize("url, expect", [
    ("postgresql://postgres@[::1/x", "not a database URL"),
    ("postgresql://postgres@localhost:abc/x", "not a database URL"),
    ("postgresql://postgres@localhost:99999/x", "port 99999 is not 1-65535"),
    ("mysql://root@localhost:0/x", "port 0 is not 1-65535"),
    ("", "no database URL given"),
    ("sqlite:////tmp/" + "d" * 300 + "/x.db", "not a usable database file"),
    ("sqlite:///" + "/tmp/" + "f" * 300 + ".db", "not a usable database file"),
    ("x" * 5000, "too long"),
    ("sqlite:////tmp/a\x00b.db", "control character"),
])
@pytest.mark.parametrize("command", [["db", "upgrade"], ["roster", "sessions", "--date", "2026-12-01"],
                                     ["simulate", "--bookings", "3"]])
def test_database_urls(sqlite_hosp, capsys, command, url, expect):
    refused(capsys, [*command, "--db", url], sqlite_hosp.url, expect=expect)


def test_file_names(sqlite_hosp, capsys, tmp_path):
    long_name = str(tmp_path / ("n" * 300 + ".xlsx"))
    in_long_folder = str(tmp_path / ("d" * 300) / "a.xlsx")
    week = f"{MONDAY.isocalendar()[0]}-W{MONDAY.isocalendar()[1]:02d}"
    for export in (["export", "daily", "--date", str(MONDAY)], ["export", "roster", "--week", week]):
        for out in (long_name, in_long_folder):
            refused(capsys, [*export, "--out", out, "--db", sqlite_hosp.url], sqlite_hosp.url, expect="过长")
        refused(capsys, [*export, "--out", str(tmp_path / ".xlsx"), "--db", sqlite_hosp.url], sqlite_hosp.url,
                expect="应以 .xlsx 结尾")
    for name in (long_name, in_long_folder):
        refused(capsys, ["roster", "import", name, "--db", sqlite_hosp.url], sqlite_hosp.url, expect="过长")
    assert list(tmp_path.iterdir()) == []


TEXT = ["\x00", "a\x00b", "停诊\x1b[2J", "\udcff\udcfe", "原因\r\n第二行", "x" * 100_000]


@pytest.mark.parametrize("value", TEXT, ids=["nul", "nul-inside", "escape", "not-utf8", "newline", "long"])
@pytest.mark.parametrize("argv", [
    ["roster", "stop", "{session}", "--reason", "{v}"],
    ["roster", "substitute", "{session}", "--doctor", "{li}", "--note", "{v}"],
    ["roster", "sessions", "--date", str(MONDAY), "--department", "{v}"],
    ["export", "daily", "--date", str(MONDAY), "--department", "{v}", "--out", "x.xlsx"],
    ["staff", "unlock", "{v}"],
    ["staff", "add", "li1", "--role", "clerk", "--display-name", "{v}", "--password-stdin"],
    ["roster", "import", "{v}.xlsx"],
], ids=["stop", "substitute", "sessions", "export", "unlock", "staff-add", "import"])
def test_control_characters_long_text_and_non_utf8(sqlite_hosp, capsys, argv, value):
    # refused before any database is opened; where the database matters (a NUL is an error on
    # PostgreSQL) the services refuse it themselves: test_bad_input_services.py, every database
    ids = sqlite_hosp.ids
    argv = [a.replace("{v}", value).format(**ids) if "{v}" in a else a.format(**ids) for a in argv]
    refused(capsys, [*argv, "--db", sqlite_hosp.url], sqlite_hosp.url)


BAD_BASES = ["not a url", "http://", "ftp://api.example", "http://127.0.0.1:99999", "//api.weixin.qq.com"]


@pytest.mark.parametrize("base", BAD_BASES)
@pytest.mark.parametrize("once", [True, False])
def test_notify_with_an_unusable_wechat_configuration_spends_nothing(hosp, capsys, monkeypatch, base, once):
    for var, value in (("APPID", "wx-app"), ("SECRET", "s3cret"), ("TEMPLATE_ID", "tpl-1"), ("API_BASE", base)):
        monkeypatch.setenv(f"REGDESK_WECHAT_{var}", value)
    before = snapshot(hosp.url)
    assert any(row for row in before["notifications"])  # a message is waiting
    refused(capsys, ["notify", *(["--once"] if once else []), "--db", hosp.url], hosp.url, expect="微信设置有误")


def test_notify_refuses_a_bad_state_before_queueing_reminders(hosp, capsys, monkeypatch):
    for var, value in (("APPID", "wx-app"), ("SECRET", "s3cret"), ("TEMPLATE_ID", "tpl-1"), ("STATE", "beta")):
        monkeypatch.setenv(f"REGDESK_WECHAT_{var}", value)
    refused(capsys, ["notify", "--once", "--reminders-for", str(MONDAY), "--db", hosp.url], hosp.url,
            expect="小程序版本须为")


def test_config_file_of_the_wrong_shape(sqlite_hosp, capsys, monkeypatch, tmp_path):
    for text, expect in (('database = "x"', "[database] in"), ("[database]\nurl = 5", "must be text"),
                         ('[wechat]\nfield_map = "thing1"', "must be a table"),
                         ("\xff\xfe = 1", "cannot read config file")):
        config = tmp_path / "config.toml"
        config.write_bytes(text.encode("latin-1"))
        monkeypatch.setenv("REGDESK_CONFIG", str(config))
        refused(capsys, ["roster", "sessions", "--date", str(MONDAY)], sqlite_hosp.url, expect=expect)


def test_the_embedded_default_creates_its_folder(tmp_path, monkeypatch, capsys):
    data = tmp_path / "fresh" / "home" / ".local" / "share" / "regdesk"
    monkeypatch.setenv("REGDESK_DATA_DIR", str(data))
    assert main(["db", "upgrade"]) == 0
    assert "schema upgraded" in capsys.readouterr().out and (data / "regdesk.db").is_file()
    # an explicit --db into a missing folder is still refused (a typo must not create folders)
    missing = tmp_path / "typo" / "x.db"
    assert main(["db", "upgrade", "--db", f"sqlite:///{missing}"]) == 2
    assert "database folder does not exist" in capsys.readouterr().err and not missing.parent.exists()


def test_a_message_is_cut_to_one_readable_line():
    from services.cli import one_line
    line = one_line("问题：" + "x" * 100_000 + "\n第二行")
    assert len(line) <= limits.MESSAGE_CHARS + 1 and "\n" not in line


@pytest.mark.parametrize("argv, env, expect", [
    (["roster", "stop", BIG, "--reason", "x"], {}, "must be at most 2147483647"),
    (["roster", "sessions", "--date", "2026-12-01", "--db", "postgresql://postgres@[::1/x"], {}, "not a database URL"),
    (["autoapprove", "--interval", "inf"], {}, "not a number"),
    (["notify", "--once"], {"REGDESK_WECHAT_APPID": "a", "REGDESK_WECHAT_SECRET": "b",
                            "REGDESK_WECHAT_TEMPLATE_ID": "c", "REGDESK_WECHAT_API_BASE": "not a url"}, "微信设置有误"),
    (["db", "upgrade"], {}, None),  # on a fresh machine: the data folder does not exist yet
], ids=["stop", "url", "interval", "notify", "fresh-machine"])
def test_as_real_processes(sqlite_hosp, tmp_path, argv, env, expect):
    data = tmp_path / "data" / "regdesk"
    full = {**os.environ, "REGDESK_DATA_DIR": str(data), "REGDESK_CONFIG": str(tmp_path / "c.toml"), **env}
    if "--db" not in argv and argv != ["db", "upgrade"]:
        argv = [*argv, "--db", sqlite_hosp.url]
    before = snapshot(sqlite_hosp.url)
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), *argv], capture_output=True, text=True,
                          env=full, cwd=tmp_path, timeout=120)
    if expect is None:
        assert proc.returncode == 0 and (data / "regdesk.db").is_file(), proc.stderr
        return
    assert proc.returncode != 0 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and expect in proc.stderr and "Traceback" not in proc.stderr
    assert snapshot(sqlite_hosp.url) == before


@pytest.mark.parametrize("password", ["\udcff\udcfepassword1", "pass\x00word1", "p" * 1_000_000])
def test_passwords_on_standard_input(sqlite_hosp, capsys, monkeypatch, password):
    import io
    monkeypatch.setattr(sys, "stdin", io.StringIO(password + "\n"))  # \udcff: bytes that were not UTF-8
    refused(capsys, ["staff", "add", "li1", "--role", "clerk", "--password-stdin", "--db", sqlite_hosp.url],
            sqlite_hosp.url)


@pytest.mark.parametrize("user", ["admin\x1b[2J", "\u202eadmin", "a" * 10_000, "\udcff"],
                         ids=["escape", "bidi", "long", "not-utf8"])
def test_log_in_names_that_cannot_be_typed_are_a_wrong_log_in(sqlite_hosp, capsys, monkeypatch, user):
    # no account can have such a name: the log-in's one answer, and nothing recorded against anyone
    monkeypatch.setenv("REGDESK_USER", user)
    refused(capsys, ["roster", "stop", str(sqlite_hosp.ids["session"]), "--reason", "医生外出",
                     "--db", sqlite_hosp.url], sqlite_hosp.url, expect="用户名或密码错误")


def test_a_password_of_bytes_that_are_not_utf8_is_a_wrong_password(sqlite_db, capsys, monkeypatch):
    f.cli_login(sqlite_db, monkeypatch)
    monkeypatch.setenv("REGDESK_PASSWORD", "\udcff" + f.CLI_PASSWORD)  # \udcff: a byte that was not UTF-8
    url = sqlite_db.engine.url.render_as_string(hide_password=False)
    assert main(["staff", "unlock", "admin", "--db", url]) == 2
    assert capsys.readouterr() == ("", "regdesk: 用户名或密码错误\n")

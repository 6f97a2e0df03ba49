"""The jalon command: demo, serve, status, and the settings behind them."""

import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.contrib.auth import authenticate
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpRequest

from jalon.audit.models import AuditEvent
from jalon.collection.models import CollectionRound
from jalon.plans.models import Plan
from jalon.settings import database_from_url, envbool
from jalon.values.models import Value

JALON = [sys.executable, "-m", "jalon.cli"]


def isolated_env(tmp_path: Path) -> dict:
    """Return an environment with its own data folder and SQLite database."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env["JALON_DATA_DIR"] = str(tmp_path)
    return env


def test_database_urls(tmp_path):
    pg = database_from_url("postgres://u:p%40ss@db.example:5433/jalon", tmp_path)
    assert (pg["ENGINE"], pg["NAME"], pg["USER"], pg["PASSWORD"], pg["HOST"], pg["PORT"]) == (
        "django.db.backends.postgresql",
        "jalon",
        "u",
        "p@ss",
        "db.example",
        "5433",
    )
    lite = database_from_url("sqlite:////tmp/x.sqlite3", tmp_path)
    assert str(lite["NAME"]) == "/tmp/x.sqlite3"
    assert "journal_mode=WAL" in lite["OPTIONS"]["init_command"]
    with pytest.raises(ImproperlyConfigured, match="the scheme must be sqlite:// or postgres://"):
        database_from_url("mysql://x/y", tmp_path)


def test_envbool_fails_loudly(monkeypatch):
    monkeypatch.setenv("JALON_X", "maybe")
    with pytest.raises(ImproperlyConfigured, match="JALON_X='maybe'"):
        envbool("JALON_X", False)
    monkeypatch.setenv("JALON_X", "yes")
    assert envbool("JALON_X", False) is True


def test_sqlite_database_is_in_the_data_folder_in_wal_mode(tmp_path):
    subprocess.run([*JALON, "migrate", "-v0"], env=isolated_env(tmp_path), check=True, timeout=120)
    database = tmp_path / "jalon.sqlite3"
    with sqlite3.connect(database) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_demo_prepares_twice_and_prints_a_working_account(db, capsys):
    call_command("demo", "--no-serve")
    call_command("demo", "--no-serve")
    out = capsys.readouterr().out
    assert "0 new, 0 revised, 16 unchanged" in out  # the second run changes nothing
    line = [x for x in out.splitlines() if x.startswith("Demo account: steward / ")][-1]
    password = line.split(" / ")[1].split()[0]
    assert authenticate(HttpRequest(), username="steward", password=password) is not None
    assert Plan.objects.get().code == "imt-2018-2022"
    examples = Value.objects.current().filter(source__is_example=True)
    assert examples.exclude(period__in=["2022", "2022/23"]).count() == 424
    # The open round of the plan's last year, in every state, opened once.
    round_ = CollectionRound.objects.get()
    assert round_.year == 2022 and round_.is_open
    states = {s for row in round_.completeness() for s, n in row["counts"].items() if n}
    assert {"approved", "submitted", "returned", "missing"} <= states
    ales = next(r for r in round_.completeness() if r["entity"].code == "imt-mines-ales")
    assert ales["counts"]["missing"] == ales["total"]  # left for the contributor persona
    assert AuditEvent.objects.filter(action="values.import").count() == 4 + 2
    assert AuditEvent.objects.filter(action="values.return").count() == 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_over_http(tmp_path):
    env = isolated_env(tmp_path)
    subprocess.run([*JALON, "migrate", "-v0"], env=env, check=True, timeout=120)
    subprocess.run([*JALON, "collectstatic", "--no-input", "-v0"], env=env, check=True, timeout=120)
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    server = subprocess.Popen(
        [*JALON, "serve", "--port", str(port), "--workers", "2"],
        # gunicorn's control socket goes in XDG_RUNTIME_DIR where it is set, else the home.
        env={k: v for k, v in env.items() if k != "XDG_RUNTIME_DIR"} | {"HOME": str(home)},
        stdout=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                page = urllib.request.urlopen(f"{base}/admin/login/", timeout=2)
                break
            except urllib.error.URLError:
                time.sleep(0.1)
        else:
            pytest.fail("jalon serve did not answer")
        assert page.status == 200 and b"csrfmiddlewaretoken" in page.read()
        css = urllib.request.urlopen(f"{base}/static/admin/css/base.css", timeout=2)
        assert css.status == 200
        # The status page needs a login: it redirects there.
        opener = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as caught:
            opener.open(f"{base}/", timeout=2)
        assert caught.value.code == 302 and caught.value.headers["Location"].startswith("/login/")
        # Two server processes and the background worker, all children of the command.
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
        pids = []
        for _ in range(100):  # the processes start one after the other
            pids = children.read_text().split() if children.exists() else []
            if len(pids) == 3 or not children.exists():
                break
            time.sleep(0.1)
        assert len(pids) == 3 or not children.exists()
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert server.returncode == 0
    assert list(home.iterdir()) == []  # nothing written in the user's home (gunicorn's socket)
    time.sleep(0.5)
    assert [pid for pid in pids if Path(f"/proc/{pid}").exists()] == []  # none left behind


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.mark.parametrize(
    "options, said",
    [
        ({"workers": 0}, "take a whole number of 1 or more"),
        ({"workers": 100_000}, "is more than this machine can serve with: at most"),
        ({"threads": 10_000}, "--threads takes at most 64"),
    ],
)
def test_serve_refuses_processes_and_threads_out_of_bounds(monkeypatch, options, said):
    from jalon.core.management.commands import serve

    def past_the_bounds(*args):  # refused before this: else the test would start a server
        raise AssertionError("got past the bounds")

    monkeypatch.setattr(serve, "ensure_free", past_the_bounds)
    with pytest.raises(CommandError, match=said):
        call_command("serve", port=free_port(), **options)


def test_serve_refuses_an_unmigrated_database(tmp_path):
    run = subprocess.run(
        [*JALON, "serve"], env=isolated_env(tmp_path), capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 1
    assert "the database is not up to date: run `jalon migrate`" in run.stderr


def test_status_table(imt_values, capsys):
    call_command("status")
    out = capsys.readouterr().out
    lines = {
        line.split()[0]: line
        for line in out.splitlines()
        if line.startswith(("students ", "startups ", "  └ cop"))
    }
    assert lines["students"].split()[:13] == [
        "students",
        "students",
        "imt",
        "2021/22",
        "13,000",
        "18,680",
        "20,000",
        "in",
        "2022/23",
        "off",
        "track",
        "-6%",  # (13,000 − 13,400) / (20,000 − 13,400): moving away from the target
        "9/9",
    ]
    # The state contract's target, judged on its own: 15,600, its path, its own verdict.
    assert lines["└"].split()[1:] == [
        "cop-2018-2022",
        "15,160",
        "15,600",
        "in",
        "2022/23",
        "off",
        "track",
        "-18%",
        "over,",  # 2022/23 is over today and its figure is not in: no probability
        "no",
        "figure",
    ]
    assert " ex " in lines["startups"]  # consolidated from example figures, and said so
    assert "ex: rests on example figures" in out
    assert (
        "Target coherence: students +49.3% with teaching-research-staff +25.0% implies students-per-staff +19.4%."
        in out
    )
    assert "Forecast of students, " in out and "linear trend" not in out
    assert "Linear trend (least squares) on the last 5 figures" in out
    assert "never below 0 (interval truncated)" in out
    assert "kept within 0 % to 100 % (interval truncated)" in out  # the share of foreigners


def test_status_for_a_school_and_period(imt_values, capsys):
    call_command("status", "--entity", "imt-mines-ales", "--period", "2017")
    out = capsys.readouterr().out
    students = next(line for line in out.splitlines() if line.startswith("students "))
    # 2017 reads as the academic year 2017/18: Alès's sourced 1,200, its own baseline.
    assert students.split()[:7] == [
        "students",
        "students",
        "imt-mines-ales",
        "2017/18",
        "1,200",
        "1,200",
        "1,400",
    ]
    assert "on track" in students
    assert "figures up to 2017/18 only" in out  # no hindsight: the forecast stands in 2017/18


def test_status_errors(imt_values):
    with pytest.raises(
        CommandError, match="no entity or grouping of plan imt-2018-2022 has the code 'nowhere'"
    ):
        call_command("status", "--entity", "nowhere")
    with pytest.raises(CommandError, match="--period 20x"):
        call_command("status", "--period", "20x")


def test_status_of_a_grouping_consolidates_its_members(imt_values, capsys):
    from jalon.conftest import IMT_PLAN, load_plan_text

    text = IMT_PLAN.read_text().replace(
        "    name_en: IMT Auvergne-Rhône-Alpes\n",
        "    name_en: IMT Auvergne-Rhône-Alpes\n    members: [{entity: mines-saint-etienne, valid_from: 2019-01-01}]\n",
    )
    load_plan_text(text, "aura.yaml")
    call_command("status", "--entity", "mines-saint-etienne", "--period", "2020")
    school = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("students "))
    call_command("status", "--entity", "imt-aura", "--period", "2020")
    grouping = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("students "))
    assert grouping.split()[2:5] == [school.split()[3], school.split()[4], "1/1"]
    # A membership counts for the periods that end after it began (2019-01-01): the
    # academic year 2017/18, ended in August 2018, had no member yet.
    call_command("status", "--entity", "imt-aura", "--period", "2017")
    grouping = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("students "))
    assert grouping.split()[2:] == ["2017/18", "—", "no", "member"]


def test_status_counts_submitted_figures_only_when_asked(imt_values, capsys):
    from jalon.values.valuefile import store_values

    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: submitted\nvalues:\n"
        "  - {indicator: students, entity: imt, period: 2021/22, value: 13500}\n",
        "submitted.yaml",
    )
    call_command("status")
    plain = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("students "))
    assert "13,000" in plain and " u " not in plain
    call_command("status", "--include-submitted")
    out = capsys.readouterr().out
    asked = next(x for x in out.splitlines() if x.startswith("students "))
    assert "13,500 u" in asked
    assert (
        "u: rests on submitted figures not yet approved" in out and "with submitted figures" in out
    )


def test_status_says_why_a_broken_series_has_no_forecast(imt_values, capsys):
    from jalon.conftest import IMT_PLAN, load_plan_text

    text = IMT_PLAN.read_text().replace(
        "    definition: >-\n      Étudiants inscrits dans les écoles",
        "    breaks: [{period: 2022/23, note: new census}]\n"
        "    definition: >-\n      Étudiants inscrits dans les écoles",
    )
    load_plan_text(text, "break.yaml")
    call_command("status", "--period", "2022")  # 2022/23: the break, and no figure since
    out = capsys.readouterr().out
    assert (
        "Forecast of students: none: no figure since the break in series in 2022/23 (new census)."
        in out
    )


def test_status_gives_the_outcome_of_a_target_period_that_is_over(imt_values, capsys):
    from jalon.values.valuefile import store_values

    store_values(
        "jalon: 1\nplan: imt-2018-2022\nsource: press-release\nstate: approved\nvalues:\n"
        "  - {indicator: students, entity: imt, period: 2022/23, value: 13500}\n",
        "outcome.yaml",
    )
    call_command("status")
    lines = capsys.readouterr().out.splitlines()
    students = next(x for x in lines if x.startswith("students "))
    contract = next(x for x in lines if x.startswith("  └ cop"))
    assert students.endswith("missed by 6,500") and contract.endswith("missed by 2,100")
    call_command("status", "--period", "2021")  # standing in 2021/22: a probability again
    students = next(x for x in capsys.readouterr().out.splitlines() if x.startswith("students "))
    assert students.endswith("0%")


def test_the_readme_names_every_setting():
    """Every variable the settings read is in the README's deployment section."""
    import re

    settings_text = (Path(__file__).resolve().parents[2] / "settings.py").read_text()
    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    read = set(re.findall(r'"((?:JALON_[A-Z_]+)|DATABASE_URL)"', settings_text))
    assert len(read) > 15
    assert {name for name in read if name not in readme} == set()


def test_the_command_explains_itself_and_a_database_not_set_up(tmp_path):
    env = isolated_env(tmp_path)
    listing = subprocess.run([*JALON], env=env, capture_output=True, text=True, timeout=120)
    lines = listing.stdout.splitlines()
    commands = [line.split()[0] for line in lines if line.startswith("  ") and "--help" not in line]
    assert commands[:3] == ["demo", "serve", "worker"] and "plan" in commands
    assert all(len(line) <= 100 for line in lines), listing.stdout
    assert "jalon django --help" in listing.stdout
    version = subprocess.run([*JALON, "--version"], env=env, capture_output=True, text=True)
    assert version.stdout.startswith("jalon ") and version.returncode == 0
    django_list = subprocess.run([*JALON, "django", "--help"], env=env, capture_output=True,
                                 text=True, timeout=120)  # fmt: skip
    assert "collectstatic" in django_list.stdout
    for args in (["status"], ["plan", "load", "plans/imt-2018-2022.yaml"]):
        done = subprocess.run([*JALON, *args], env=env, capture_output=True, text=True,
                              timeout=120, cwd=Path(__file__).resolve().parents[3])  # fmt: skip
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert "is not set up yet: run `jalon migrate` first" in done.stderr


def test_a_port_in_use_is_said_before_anything_else(tmp_path):
    env = isolated_env(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        for command in (["serve"], ["demo"]):
            done = subprocess.run([*JALON, *command, "--port", str(port)], env=env,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip
            assert done.returncode == 1, done.stderr
            assert f"cannot listen on 127.0.0.1:{port}: in use" in done.stderr
            assert "http://" not in done.stdout and "Demo account" not in done.stdout
    with sqlite3.connect(tmp_path / "jalon.sqlite3") as db:  # the demo stopped before it
        assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_a_spreadsheet_given_as_a_value_file_and_a_date_not_iso_are_said(
    tmp_path, imt_plan, capsys
):
    sheet = tmp_path / "figures.csv"
    sheet.write_text("indicator,entity,period,value\nstudents,imt,2022/23,5\n")
    with pytest.raises(
        CommandError, match="a spreadsheet, not a value file .*`jalon values import"
    ):
        call_command("values", "load", str(sheet))
    dated = tmp_path / "v.yaml"
    dated.write_text(
        "jalon: 1\nplan: imt-2018-2022\nsource: examples\nstate: approved\npublished: 12/01/2022\n"
        "values:\n  - {indicator: students, entity: imt, period: 2022/23, value: 5}\n"
    )
    with pytest.raises(CommandError):
        call_command("values", "load", str(dated))
    assert "published: write a date as YYYY-MM-DD" in capsys.readouterr().err


def _options_without_help(parser, path: str) -> list[str]:
    """Return the options and arguments of ``parser`` and its sub-commands without help."""
    import argparse

    missing = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helped = {a.dest for a in action._choices_actions if a.help}
            for name, sub in action.choices.items():
                if name not in helped:
                    missing.append(f"{path} {name}")
                missing += _options_without_help(sub, f"{path} {name}")
        elif not isinstance(action, argparse._HelpAction) and not action.help:
            missing.append(f"{path} {'/'.join(action.option_strings) or action.dest}")
    return missing


def test_every_option_of_jalons_commands_has_help():
    from django.core.management import get_commands, load_command_class

    from jalon.cli import OWN

    commands = get_commands()
    missing = []
    for name in OWN:
        command = load_command_class(commands[name], name)
        assert command.help.strip(), name
        missing += _options_without_help(command.create_parser("jalon", name), name)
    assert missing == []

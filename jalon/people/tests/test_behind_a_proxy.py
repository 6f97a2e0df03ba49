"""Behind a TLS proxy: secure cookies, HSTS, the proxy's HTTPS header, trusted origins."""

import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

SITE = "https://jalon.example.org"
DEPLOYED = {
    "JALON_HTTPS": "1",
    "JALON_PROXY_HTTPS_HEADER": "X-Forwarded-Proto",
    "JALON_SITE_URL": SITE,
    "JALON_ALLOWED_HOSTS": "jalon.example.org",
    "JALON_HSTS_SUBDOMAINS": "1",
    "JALON_HSTS_PRELOAD": "1",
}


def _jalon(*args, tmp_path, extra=DEPLOYED):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env |= {"JALON_DATA_DIR": str(tmp_path), **extra}
    return subprocess.run(
        [sys.executable, "-m", "jalon.cli", *args], env=env, capture_output=True, text=True
    )


def test_the_deployment_check_is_clean_with_the_variables_set(tmp_path):
    done = _jalon("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "no issues" in done.stdout
    # Without them, the check says what is missing.
    bare = _jalon("check", "--deploy", "--fail-level", "WARNING", tmp_path=tmp_path, extra={})
    assert bare.returncode != 0 and "SESSION_COOKIE_SECURE" in bare.stderr


@pytest.mark.django_db
def test_a_login_through_the_proxy_passes_the_csrf_check(settings):
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.CSRF_TRUSTED_ORIGINS = [SITE]
    settings.ALLOWED_HOSTS = ["jalon.example.org"]
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    get_user_model().objects.create_user("viewer", password="a-long-right-password")
    # The proxy speaks plain HTTP to Jalon, and says the request came over TLS.
    client = Client(
        enforce_csrf_checks=True,
        HTTP_HOST="jalon.example.org",
        HTTP_X_FORWARDED_PROTO="https",
    )
    page = client.get("/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    answer = client.post(
        "/login/",
        {"username": "viewer", "password": "a-long-right-password", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN=SITE,
        HTTP_REFERER=SITE + "/login/",
    )
    assert answer.status_code == 302
    assert answer.cookies["sessionid"]["secure"]
    # A form posted from elsewhere is still refused.
    elsewhere = client.post("/i18n/setlang/", {"language": "fr", "csrfmiddlewaretoken": token},
                            HTTP_ORIGIN="https://evil.example")  # fmt: skip
    assert elsewhere.status_code == 403


def test_the_variables_set_what_they_say(tmp_path):
    shown = _jalon(
        "shell",
        "-c",
        "from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER,"
        " s.CSRF_TRUSTED_ORIGINS)",
        tmp_path=tmp_path,
    )
    assert shown.stdout.strip().splitlines()[-1] == (
        "True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') ['https://jalon.example.org']"
    )

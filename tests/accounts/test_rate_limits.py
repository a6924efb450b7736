"""Log-in, sign-up, password reset and API rate limits, counted in the shared cache. The last test starts
three server processes on one database and cache and spreads 20 wrong passwords over them."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import AdminFactory, AnnotatorFactory, token_for

pytestmark = pytest.mark.django_db
PASSWORD = "correct-horse-battery"


def _annotator_login(client, email, password):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _admin_login(client, username, password):
    return client.post(reverse("admin:login"), {"username": username, "password": password})


def test_the_annotator_log_in_locks_the_account_with_429(client, annotator):
    statuses = [_annotator_login(client, annotator.email, "wrong").status_code for _ in range(7)]
    assert statuses == [400] * 5 + [429] * 2
    locked = _annotator_login(client, annotator.email, PASSWORD)
    assert locked.status_code == 429 and int(locked["Retry-After"]) > 0
    assert "_auth_user_id" not in client.session


def test_the_admin_log_in_locks_the_account_with_429(client):
    admin = AdminFactory()
    statuses = [_admin_login(client, admin.username, "wrong").status_code for _ in range(6)]
    assert statuses == [400] * 5 + [429]
    assert _admin_login(client, admin.username, PASSWORD).status_code == 429


def test_both_log_in_forms_count_against_one_lock(client):
    admin = AdminFactory()
    for _ in range(5):
        assert _annotator_login(client, admin.email, "wrong").status_code == 400
    assert _admin_login(client, admin.username, PASSWORD).status_code == 429


def test_successful_admin_log_ins_do_not_count(client):
    admin = AdminFactory()
    for _ in range(8):
        assert _admin_login(client, admin.username, PASSWORD).status_code == 302
        client.logout()


def test_the_address_locks_after_its_failures_whatever_the_account(client, settings):
    accounts = [AnnotatorFactory() for _ in range(5)]
    for account in accounts:  # 4 failures each: no account is locked, the address reaches its 20
        for _ in range(4):
            assert _annotator_login(client, account.email, "wrong").status_code == 400
    assert _annotator_login(client, AnnotatorFactory().email, PASSWORD).status_code == 429


def test_sign_up_and_password_reset_are_limited(client, annotator):
    statuses = [client.post(reverse("account_signup"), {"email": f"new{n}@example.com", "password1": "x",
                                                          "password2": "y"}).status_code for n in range(11)]
    assert statuses[-1] == 429 and 429 not in statuses[:10]
    resets = [client.post(reverse("account_reset_password"), {"email": annotator.email}).status_code
              for _ in range(4)]
    assert resets[-1] == 429 and 429 not in resets[:3]


@pytest.fixture
def low_api_rate(monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "token", "3/min")


def test_the_api_answers_429_past_the_token_rate(api_client, integrator, low_api_rate):
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(integrator)}")
    statuses = [api_client.get(reverse("api-me")).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = api_client.get(reverse("api-me"))
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    # Another token has its own count.
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AdminFactory())}")
    assert api_client.get(reverse("api-me")).status_code == 200


def test_the_api_counts_per_address_across_tokens(api_client, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "address", "2/min")
    for user in (AdminFactory(), AdminFactory()):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
        api_client.get(reverse("api-me"))
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(AdminFactory())}")
    assert api_client.get(reverse("api-me")).status_code == 429


# --- Several server processes, one database and one cache ----------------------------------------------

HOST = "crowdlabel.test"  # the public name the three processes serve, as behind one load balancer


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def three_servers(transactional_db):
    env = {**os.environ, "DATABASE_URL": _database_url(), "SECRET_KEY": "x", "DEBUG": "0", "STATIC_MANIFEST": "0",
           "ALLOWED_HOSTS": HOST, "SECURE_COOKIES": "0", "API_RATE_PER_TOKEN": "6/min", "CACHE_URL": "db://",
           "CROWDLABEL_VAR_DIR": django_settings.VAR_DIR.as_posix()}
    ports = [_free_port() for _ in range(3)]
    servers = [subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "crowdlabel.wsgi", "-b", f"127.0.0.1:{port}", "-w", "1", "--log-level", "warning"],
        env=env, cwd=django_settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    ) for port in ports]
    try:
        deadline = time.monotonic() + 120
        for port in ports:
            while _request(port, "/accounts/login/")[0] != 200:
                assert time.monotonic() < deadline, "the servers did not start"
                time.sleep(0.5)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def _shared_cache_clear():
    """The servers' cache is the database table (CACHE_URL db://), which outlives transactional tests' flush;
    this process's own cache is a local one per test (conftest), so the table is cleared by name."""
    from django.core.cache.backends.db import DatabaseCache

    DatabaseCache(django_settings.DATABASE_CACHE_TABLE, {}).clear()


def _request(port, path, form=None, headers=None, opener=None):
    """(status, headers) of one request to one server process; a refused connection is (0, {})."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers={"Host": HOST, **(headers or {})})
    opener = opener or urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)
    except OSError:
        return 0, {}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _post_form(port, path, form):
    """GET the form (for its CSRF cookie and token), then POST it, on one server: a browser's log-in."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    _request(port, path, opener=opener)
    token = next(cookie.value for cookie in jar if cookie.name == "csrftoken")
    return _request(port, path, {**form, "csrfmiddlewaretoken": token}, {"Referer": f"http://{HOST}{path}"}, opener)


@pytest.mark.postgres
@pytest.mark.parametrize("form", ["annotator", "admin"])
def test_twenty_wrong_passwords_over_three_processes_lock_for_all(three_servers, form):
    _shared_cache_clear()
    admin = AdminFactory()
    path, field, login = (
        ("/accounts/login/", "login", admin.email) if form == "annotator" else ("/admin/login/", "username", admin.username)
    )
    statuses = [_post_form(three_servers[n % 3], path, {field: login, "password": f"wrong{n}"})[0] for n in range(20)]
    # Counted once for all processes: five refusals, then locked. Each process counting alone would let
    # fifteen through (five each).
    assert statuses.count(400) == 5 and statuses.count(429) == 15, statuses
    for port in three_servers:  # the right password, on every process: still locked
        status, headers = _post_form(port, path, {field: login, "password": PASSWORD})
        assert status == 429 and int(headers["Retry-After"]) > 0
    # The address is locked too (20 failures): another account gets nowhere from it.
    other = AdminFactory()
    other_login = other.email if form == "annotator" else other.username
    assert _post_form(three_servers[0], path, {field: other_login, "password": PASSWORD})[0] == 429


@pytest.mark.postgres
def test_the_api_rate_is_shared_by_three_processes(three_servers):
    _shared_cache_clear()
    headers = {"Authorization": f"Token {token_for(AdminFactory())}"}
    statuses = [_request(three_servers[n % 3], "/api/me/", headers=headers)[0] for n in range(9)]
    assert statuses == [200] * 6 + [429] * 3, statuses

"""``bin/serve``: a production server that says why it cannot start and leaves nothing behind.

These run the command as a person would, in processes of their own, on an embedded
PostgreSQL server and filesystem broker in a folder of the test's (``CRM_LOCAL_DIR``), so
that nothing they start or stop is shared with the rest of the suite.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil
from django.conf import settings

STARTUP_TIMEOUT = 240


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_env(local_dir: Path) -> dict[str, str]:
    drop = {"DATABASE_URL", "DATABASE_APP_URL", "CELERY_BROKER_URL", "REDIS_URL"}
    env = {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("PYTEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="crm.settings.dev",
        CRM_LOCAL_DIR=str(local_dir),
        XDG_RUNTIME_DIR=str(local_dir / "run"),
        PYTHONUNBUFFERED="1",
    )
    return env


def start(local_dir: Path, *arguments: str, log_name: str = "serve.log") -> subprocess.Popen:
    log = (local_dir / log_name).open("w")
    return subprocess.Popen(  # noqa: S603 (our own command)
        [sys.executable, "manage.py", "serve", "--no-demo", *arguments],
        cwd=settings.BASE_DIR,
        env=serve_env(local_dir),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_for_banner(process: subprocess.Popen, log: Path) -> str:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        text = log.read_text()
        if "Bank CRM is running at" in text:
            return text
        assert process.poll() is None, text[-3000:]
        time.sleep(0.5)
    raise AssertionError(f"no banner within {STARTUP_TIMEOUT} s:\n{log.read_text()[-3000:]}")


def run_to_completion(local_dir: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 (our own command)
        [sys.executable, "manage.py", "serve", "--no-demo", *arguments],
        cwd=settings.BASE_DIR,
        env=serve_env(local_dir),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def processes_of_the_run(local_dir: Path) -> list[psutil.Process]:
    """Every process left of a run: its server, web, worker and beat processes."""
    found = []
    for process in psutil.process_iter(["cmdline", "environ"]):
        try:
            cmdline = " ".join(process.info["cmdline"] or [])
            environ = process.info["environ"] or {}
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        ours = str(local_dir) in cmdline or environ.get("CRM_LOCAL_DIR") == str(local_dir)
        if ours and process.pid != os.getpid():
            found.append(process)
    return found


def wait_until_gone(local_dir: Path, seconds: float = 40) -> list[psutil.Process]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        left = [p for p in processes_of_the_run(local_dir) if p.status() != psutil.STATUS_ZOMBIE]
        if not left:
            return []
        time.sleep(0.5)
    return left


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (http:)
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_a_port_that_is_no_number_is_refused_with_the_reason(tmp_path):
    finished = run_to_completion(tmp_path, "--port", "abc")
    assert finished.returncode == 2
    assert "argument --port: not a port number (1-65535): abc" in finished.stderr
    assert "running at" not in finished.stdout


def test_a_busy_port_is_refused_before_anything_starts(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        started = time.monotonic()
        finished = run_to_completion(tmp_path, "--port", str(port))
    assert finished.returncode == 1
    assert f"Cannot listen on 127.0.0.1:{port}: Address already in use." in finished.stderr
    assert "running at" not in finished.stdout
    assert time.monotonic() - started < 60
    assert wait_until_gone(tmp_path, seconds=20) == []  # the embedded database stopped too


def test_start_kill_start_stop_leaves_no_process_behind(tmp_path):
    port = free_port()
    first = start(tmp_path, "--port", str(port), log_name="first.log")
    try:
        wait_for_banner(first, tmp_path / "first.log")
        status, page = get(f"http://127.0.0.1:{port}/accounts/login/")
        assert status == 200 and "登录" in page
        # DEBUG is off: a translated error page, not Django's technical one.
        status, page = get(f"http://127.0.0.1:{port}/no-such-page/")
        assert status == 404 and "未找到" in page and "URLconf" not in page
        assert len(processes_of_the_run(tmp_path)) > 4  # server, gunicorn, celery...
    finally:
        os.kill(first.pid, signal.SIGKILL)  # no chance to clean up
        first.wait()

    # The web, worker and beat processes follow their parent; the database is a leftover
    # that the next start must take over and stop at its end.
    survivors = wait_until_gone(tmp_path)
    assert all("postgres" in " ".join(p.cmdline()) for p in survivors), survivors

    second = start(tmp_path, "--port", str(port), log_name="second.log")
    try:
        wait_for_banner(second, tmp_path / "second.log")
        assert get(f"http://127.0.0.1:{port}/accounts/login/")[0] == 200
    finally:
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=120) == 0
    assert wait_until_gone(tmp_path) == []
    assert "Stopped." in (tmp_path / "second.log").read_text()

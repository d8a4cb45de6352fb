"""Run the whole product on one machine: web server, Celery worker and Celery beat.

The web server is gunicorn with several workers and DEBUG off, as in production; ``--dev``
runs Django's development server with autoreload and DEBUG on instead. The address is
checked before anything starts, the banner is printed once the server answers, and a
start that fails exits non-zero with the reason.

Each child runs in a process group of its own, which is stopped as a whole (gunicorn's and
Celery's own workers included), and is told by the kernel to stop should this process die
without cleaning up (``PR_SET_PDEATHSIG``). Children get the embedded PostgreSQL server's
address instead of joining it themselves, so only this process holds it and stops it.
"""

import argparse
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from crm.embedded import joined_database_url
from crm.shell.demo import DEMO_BANKS, DEMO_PASSWORD, PLATFORM_ADMIN
from crm.tenancy.models import default_two_factor_roles

STARTUP_SECONDS = 90
STOP_SECONDS = 20
PR_SET_PDEATHSIG = 1


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text}")
    return port


def check_address(host: str, port: int) -> None:
    """Refuse an address this machine cannot listen on, before anything is started."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc
    family, kind, proto, _name, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from exc


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: stop when the serve process goes away.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class Command(BaseCommand):
    help = (
        "Migrate, load the demo data, then run the web server (gunicorn), a Celery worker "
        "and Celery beat until Ctrl-C."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--port", type=port_number, default=port_number(os.environ.get("PORT", "8000"))
        )
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")
        parser.add_argument(
            "--dev",
            action="store_true",
            help="Django's development server with autoreload and DEBUG on, instead of gunicorn.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=int(os.environ.get("WEB_CONCURRENCY", "3")),
            help="gunicorn worker processes (default 3).",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        no_demo: bool,
        dev: bool,
        workers: int,
        **options: Any,
    ) -> None:
        check_address(host, port)
        call_command("migrate", interactive=False, verbosity=0)
        if not no_demo:
            call_command("load_demo")
        call_command("collectstatic", interactive=False, verbosity=0)
        processes = self._start(self._commands(host, port, dev, workers), dev)
        stopping: list[int] = []
        signal.signal(signal.SIGINT, lambda signum, frame: stopping.append(signum))
        signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))
        failure: str | None = None
        try:
            failure = self._wait_until_answering(host, port, processes, stopping)
            if failure is None and not stopping:
                self._print_banner(host, port, no_demo)
            while failure is None and not stopping:
                failure = self._exited(processes)
                time.sleep(0.3)
        finally:
            self._stop(processes)
        if failure:
            raise CommandError(failure)

    def _commands(self, host: str, port: int, dev: bool, workers: int) -> dict[str, list[str]]:
        python = sys.executable
        address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if dev:
            web = [python, str(settings.BASE_DIR / "manage.py"), "runserver", address]
        else:
            web = [
                python,
                "-m",
                "gunicorn",
                "crm.wsgi:application",
                f"--bind={address}",
                f"--workers={max(1, workers)}",
                "--access-logfile=-",
                f"--graceful-timeout={STOP_SECONDS // 2}",
            ]
        celery = [python, "-m", "celery", "-A", "crm"]
        return {
            "web": web,
            "worker": [
                *celery,
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-mingle",
                "--without-gossip",
            ],
            "beat": [*celery, "beat", "--loglevel=INFO"],
        }

    def _start(
        self, commands: dict[str, list[str]], dev: bool
    ) -> dict[str, subprocess.Popen[bytes]]:
        env = {**os.environ, "PYTHONUNBUFFERED": "1", "DEBUG": "1" if dev else "0"}
        if embedded := joined_database_url():
            env["DATABASE_URL"] = embedded
        processes: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for name, command in commands.items():
                processes[name] = subprocess.Popen(  # noqa: S603 (our own commands)
                    command,
                    cwd=settings.BASE_DIR,
                    env=env,
                    process_group=0,
                    preexec_fn=_die_with_parent,
                )
        except BaseException:
            self._stop(processes)
            raise
        return processes

    def _wait_until_answering(
        self,
        host: str,
        port: int,
        processes: dict[str, subprocess.Popen[bytes]],
        stopping: list[int],
    ) -> str | None:
        url = _base_url(host, port) + reverse(settings.LOGIN_URL)
        deadline = time.monotonic() + STARTUP_SECONDS
        while not stopping:
            failure = self._exited(processes)
            if failure:
                return failure
            try:
                with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http:)
                    if response.status < 500:
                        return None
            except urllib.error.HTTPError as exc:
                if exc.code < 500:
                    return None
            except OSError:
                pass
            if time.monotonic() > deadline:
                return f"The web server did not answer at {url} within {STARTUP_SECONDS} s."
            time.sleep(0.3)
        return None

    @staticmethod
    def _exited(processes: dict[str, subprocess.Popen[bytes]]) -> str | None:
        for name, process in processes.items():
            if process.poll() is not None:
                return f"The {name} process exited with status {process.returncode}."
        return None

    def _stop(self, processes: dict[str, subprocess.Popen[bytes]]) -> None:
        if not processes:
            return
        self.stdout.write("Stopping web server, worker and beat...")
        # The leaders first: gunicorn and Celery stop their own workers gracefully.
        for process in processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Whatever of the group outlived its leader (or its deadline) ends now.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        self.stdout.write("Stopped.")

    def _print_banner(self, host: str, port: int, no_demo: bool) -> None:
        base = _base_url(host, port)
        lines = ["", f"Bank CRM is running at {base}/", f"API docs: {base}/api/v1/docs/", ""]
        if no_demo:
            lines += [
                "No demo data was loaded (--no-demo). Create a platform administrator with",
                "  bin/manage createsuperuser",
            ]
        else:
            banks = ", ".join(f"{bank.code} ({bank.short_name})" for bank in DEMO_BANKS)
            # The demo banks keep a new bank's setting: its administrators and auditors sign
            # in with a second factor, as a bank's would; everyone else shows the product
            # with the password alone.
            two_factor = set(default_two_factor_roles())
            lines += [
                f"Demo banks (tenant codes): {banks}",
                f"Demo logins (password for all: {DEMO_PASSWORD}):",
                f"  {PLATFORM_ADMIN:<16} platform administrator (all banks, Django admin) *",
            ]
            for bank in DEMO_BANKS:
                for suffix, name, role, _branch in bank.staff:
                    username = f"{bank.prefix}_{suffix}"
                    mark = " *" if role in two_factor else ""
                    lines.append(f"  {username:<16} {bank.short_name} {name} ({role.label}){mark}")
            lines += [
                "  * two-factor sign-in: the first sign-in sets up an authenticator app (TOTP:",
                "    scan the QR code or type the key), then asks for its code each time.",
            ]
        lines += ["", "Press Ctrl-C to stop everything.", ""]
        self.stdout.write("\n".join(lines))


def _base_url(host: str, port: int) -> str:
    # A server listening on every address is reached, and shown, on the loopback one.
    local = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)  # noqa: S104
    return f"http://[{local}]:{port}" if ":" in local else f"http://{local}:{port}"

"""Run the whole product on one machine: web server, Celery worker and Celery beat."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from crm.tenancy.demo import DEMO_BANKS, DEMO_PASSWORD, PLATFORM_ADMIN


class Command(BaseCommand):
    help = (
        "Migrate, load the demo data, then run the web server, a Celery worker and Celery "
        "beat until Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--no-demo", action="store_true", help="Do not load demo data.")

    def handle(self, *args, **options):
        call_command("migrate", interactive=False, verbosity=0)
        if not options["no_demo"]:
            call_command("load_demo")
        call_command("collectstatic", interactive=False, verbosity=0)
        address = f"{options['host']}:{options['port']}"
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        commands = {
            "web": [python, manage, "runserver", address, "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "crm",
                "worker",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-mingle",
                "--without-gossip",
            ],
            "beat": [python, "-m", "celery", "-A", "crm", "beat", "--loglevel=INFO"],
        }
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        processes = {
            name: subprocess.Popen(command, cwd=settings.BASE_DIR, env=env)  # noqa: S603
            for name, command in commands.items()
        }
        self._print_banner(address)
        stopping = False

        def stop(signum, frame):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, process in processes.items():
                    if process.poll() is not None:
                        self.stderr.write(f"{name} exited with {process.returncode}; stopping.")
                        stopping = True
                        break
                time.sleep(0.5)
        finally:
            self.stdout.write("Stopping web server, worker and beat...")
            for process in processes.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 20
            for process in processes.values():
                try:
                    process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    process.kill()
            self.stdout.write("Stopped.")

    def _print_banner(self, address: str) -> None:
        lines = [
            "",
            f"Bank CRM is running at http://{address}/",
            f"API docs: http://{address}/api/v1/docs/",
            "",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
            f"  {PLATFORM_ADMIN:<16} platform administrator (all banks, Django admin)",
        ]
        for bank in DEMO_BANKS:
            for suffix, name, role, _branch in bank.staff:
                lines.append(
                    f"  {bank.prefix + '_' + suffix:<16} {bank.short_name} {name} ({role.label})"
                )
        lines += ["", "Press Ctrl-C to stop everything.", ""]
        self.stdout.write("\n".join(lines))

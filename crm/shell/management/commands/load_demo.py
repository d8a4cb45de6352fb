from typing import Any

from django.core.management.base import BaseCommand

from crm.shell.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo banks, their staff and data. Running it again changes nothing."

    def handle(self, *args: Any, **options: Any) -> None:
        load_demo(stdout=self.stdout)

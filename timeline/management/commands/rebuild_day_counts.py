"""Recompute the pulse chart's daily roll-up from scratch (see timeline/rollup.py)."""

from django.core.management.base import BaseCommand

from timeline.models import DayCount
from timeline.rollup import rollup_rebuild


class Command(BaseCommand):
    help = "Recompute the pulse chart's daily counts from the published entries."

    def handle(self, *args, **options):
        rollup_rebuild()
        self.stdout.write(f"{DayCount.objects.count()} day counts.")

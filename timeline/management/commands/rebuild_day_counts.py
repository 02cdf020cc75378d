"""Recompute the pulse charts' daily roll-ups from scratch (see timeline/rollup.py)."""

from django.core.management.base import BaseCommand

from timeline.models import DayCount, FilterDayCount
from timeline.rollup import rollup_rebuild, rollup_tables_vacuum


class Command(BaseCommand):
    help = "Recompute the pulse charts' daily counts (overall, per filter) from published entries."

    def handle(self, *args, **options):
        rollup_rebuild()
        rollup_tables_vacuum()
        self.stdout.write(
            f"{DayCount.objects.count()} day counts, "
            f"{FilterDayCount.objects.count()} per place, actor and grade."
        )

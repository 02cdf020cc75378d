from django.core.management import call_command
from django.core.management.base import BaseCommand

from timeline.models import Entry

SEED_FIXTURE = "geneva-talks-kyiv-strikes"


class Command(BaseCommand):
    help = "Load the seed story when the database has no entries yet; otherwise do nothing."

    def handle(self, *args, **options):
        if Entry.objects.exists():
            self.stdout.write("The database already has entries; the seed story was not loaded.")
            return
        call_command("loaddata", SEED_FIXTURE, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(f"Loaded the seed story ({Entry.objects.count()} entries).")
        )

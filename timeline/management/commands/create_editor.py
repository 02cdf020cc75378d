import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

PASSWORD_VARIABLE = "PARALLAX_EDITOR_PASSWORD"  # noqa: S105 (a variable name)


class Command(BaseCommand):
    help = (
        "Create an editor account that can sign in to the admin. Asks for the password, "
        f"or reads it from ${PASSWORD_VARIABLE} when not run at a terminal."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--publisher",
            action="store_true",
            help="Also allow this account to publish and unpublish entries.",
        )

    def handle(self, *args, username, email, publisher, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"An account named {username!r} already exists.")
        password = self.read_password()
        user = User(username=username, email=email, is_staff=True)
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error

        group_names = ["Editors"] + (["Publishers"] if publisher else [])
        groups = list(Group.objects.filter(name__in=group_names))
        if len(groups) != len(group_names):
            raise CommandError("The Editors and Publishers groups are missing: run migrate first.")
        with transaction.atomic():
            user.set_password(password)
            user.save()
            user.groups.set(groups)
        role = "publisher" if publisher else "editor"
        self.stdout.write(self.style.SUCCESS(f"Created {role} {username!r}. Sign in at /admin/."))

    def read_password(self):
        from_environment = os.environ.get(PASSWORD_VARIABLE)
        if from_environment:
            return from_environment
        if not self.stdin_is_terminal():
            raise CommandError(
                f"No password given: run at a terminal, or set ${PASSWORD_VARIABLE}."
            )
        first = getpass.getpass("Password: ")
        second = getpass.getpass("Password (again): ")
        if first != second:
            raise CommandError("The passwords do not match.")
        return first

    @staticmethod
    def stdin_is_terminal():
        import sys

        return sys.stdin is not None and sys.stdin.isatty()

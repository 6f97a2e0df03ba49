"""Django's createsuperuser, with the password checks it lets one skip, and audited."""

import os

from django.contrib.auth.management.commands import createsuperuser
from django.contrib.auth.password_validation import validate_password
from django.core.management.base import CommandError

from jalon.core.management.commands.plan import actor
from jalon.people.accounts import acting


class Command(createsuperuser.Command):
    help = (
        "Make an administrator account (for the Django admin). Its password passes the same"
        " checks as every other, with --noinput (DJANGO_SUPERUSER_PASSWORD) too, and the"
        " account is in the audit trail."
    )

    def handle(self, *args, **options):
        if not options["interactive"] and not os.environ.get("DJANGO_SUPERUSER_PASSWORD"):
            raise CommandError("set DJANGO_SUPERUSER_PASSWORD: an administrator has a password.")
        manager = self.UserModel._default_manager
        create = manager.create_superuser

        def checked(username, email=None, password=None, **fields):
            # Django checks a typed password but lets one bypass the checks, and checks
            # none given by DJANGO_SUPERUSER_PASSWORD: here no account skips them.
            if password is not None:
                validate_password(password, manager.model(username=username, email=email))
            return create(username, email, password, **fields)

        manager.create_superuser = checked  # db_manager copies it with the manager
        try:  # Django says a ValidationError as a CommandError
            with acting(actor()):
                super().handle(*args, **options)
        finally:
            del manager.create_superuser

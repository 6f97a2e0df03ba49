from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from jalon.access.choices import Role
from jalon.access.models import Access, AccessError
from jalon.core.management.commands.plan import actor
from jalon.organisation.models import Entity
from jalon.plans.models import Plan


class Command(BaseCommand):
    help = "Grant, revoke or list who may read, contribute to or steward a plan."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        grant = sub.add_parser(
            "grant", help="Give a user a role on a plan (a contributor reports for an entity)."
        )
        grant.add_argument("user", help="The user's username.")
        grant.add_argument("--plan", required=True, help="The plan's code.")
        grant.add_argument(
            "--role",
            required=True,
            choices=Role.values,
            help="steward (everything), viewer (reads all), contributor (reports for --entity).",
        )
        grant.add_argument("--entity", help="The entity a contributor reports for.")
        revoke = sub.add_parser("revoke", help="Take a user's access to a plan away.")
        revoke.add_argument("user", help="The user's username.")
        revoke.add_argument("--plan", required=True, help="The plan's code.")
        listing = sub.add_parser("list", help="List who has access, plan by plan.")
        listing.add_argument("--plan", help="Only this plan.")

    def handle(self, *args, action, **options):
        if action == "list":
            return self.list(options["plan"])
        user = self.user(options["user"])
        plan = self.plan(options["plan"])
        try:
            if action == "grant":
                entity = self.entity(options["entity"]) if options["entity"] else None
                access = Access.grant(user, plan, options["role"], entity, label=actor())
                scope = f" for {access.entity.code}" if access.entity_id else ""
                self.stdout.write(f"{user.get_username()} is {access.role} of {plan.code}{scope}.")
            else:
                Access.revoke(user, plan, label=actor())
                self.stdout.write(f"{user.get_username()} no longer has access to {plan.code}.")
        except AccessError as error:
            raise CommandError(str(error)) from None

    def list(self, code: str | None) -> None:
        accesses = Access.objects.select_related("user", "plan", "entity").order_by(
            "plan__code", "role", "user__username"
        )
        if code:
            accesses = accesses.filter(plan=self.plan(code))
        for a in accesses:
            scope = f" for {a.entity.code}" if a.entity_id else ""
            self.stdout.write(f"{a.plan.code}  {a.user.get_username()}  {a.role}{scope}")
        if not accesses:
            self.stdout.write(
                "Nobody has access to any plan yet: grant it with `jalon access grant`."
            )

    def user(self, username: str):
        found = get_user_model().objects.filter(username=username).first()
        if found is None:
            raise CommandError(
                f"no user {username!r}: create one with `jalon createsuperuser`, or invite them"
                " from the plan's access page"
            )
        return found

    def plan(self, code: str) -> Plan:
        found = Plan.objects.select_related("organisation").filter(code=code).first()
        if found is None:
            codes = ", ".join(Plan.objects.values_list("code", flat=True)) or "none loaded"
            raise CommandError(f"no plan has the code {code!r} (plans: {codes})")
        return found

    def entity(self, code: str) -> Entity:
        found = Entity.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"no entity has the code {code!r}")
        return found

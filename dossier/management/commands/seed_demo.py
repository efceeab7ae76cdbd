"""`manage.py seed_demo`: create or repair the demo world (docs/design.md)."""

from django.core.management.base import BaseCommand

from dossier.demo import DEMO_USERS, ITEM_TYPES, seed_demo_world


class Command(BaseCommand):
    help = "Create or repair the deterministic demo world; a second run changes nothing."

    def handle(self, *args, **options) -> None:
        counts = seed_demo_world(stdout=self.stdout if options["verbosity"] > 1 else None)
        if counts["written"]:
            self.stdout.write(self.style.SUCCESS(f"Demo world ready: {counts['written']} rows created or updated."))
        else:
            self.stdout.write(self.style.SUCCESS("Demo world ready: it was complete, nothing changed."))
        lines = [
            ("persons", counts["persons"], "10001-10150"),
            ("  employees", counts["employees"], "E0001-E0080 on 10001-10080"),
            ("  applicants", counts["applicants"], "A0081-A0100 on 10081-10100"),
            ("organisations", counts["organisations"], "20001-20040"),
            ("  sales relations", counts["sales_relations"], "D20001-D20030 on 20001-20030"),
            ("  purchase relations", counts["purchase_relations"], "C20031-C20040 on 20031-20040"),
            ("contacts", counts["contacts"], "30001-30040: contact 300NN is person 100NN at organisation 200NN"),
            ("projects", counts["projects"], "PRJ-001 .. PRJ-010"),
            ("courses", counts["courses"], "CRS-01 .. CRS-05"),
            ("item types", counts["item_types"], ", ".join(ITEM_TYPES)),
            ("dossier items", counts["items"], "of the demo types"),
        ]
        for label, count, detail in lines:
            self.stdout.write(f"  {label:<22}{count:>4}  {detail}")
        self.stdout.write("Sign in at /admin/ (demo only: the password is the user name):")
        for user in DEMO_USERS:
            sign_in = f"{user.username} / {user.username}"
            self.stdout.write(f"  {sign_in:<32}{user.description}")

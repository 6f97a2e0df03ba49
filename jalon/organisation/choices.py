from django.db import models
from django.utils.translation import gettext_lazy as _


class EntityKind(models.TextChoices):
    INSTITUTE = "institute", _("Institute")
    SCHOOL = "school", _("School")
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    PARTNER = "partner", _("Partner")
    DEPARTMENT = "department", _("Department")
    UNIVERSITY = "university", _("University")
    CAMPUS = "campus", _("Campus")
    BRANCH = "branch", _("Regional branch")


class LineageKind(models.TextChoices):
    MERGER = "merger", _("Merger")
    SPLIT = "split", _("Split")
    RENAME = "rename", _("Rename")

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STEWARD = "steward", _("Plan steward")
    CONTRIBUTOR = "contributor", _("Contributor")
    VIEWER = "viewer", _("Viewer")

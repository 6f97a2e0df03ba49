from django.db import models
from django.utils.translation import gettext_lazy as _


class ValueState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")

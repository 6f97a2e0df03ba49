from django.db import models
from django.utils.translation import gettext_lazy as _


class ValueState(models.TextChoices):
    """Where a revision of a figure stands.

    A figure has two tracks of revisions. Proposals (draft, submitted, returned) are what
    a contributor is working on or has sent; decisions (approved, withdrawn) settle what
    counts. The figure of record is the latest decision when it is an approval; a newer
    proposal is shown beside it and never hides it.
    """

    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")
    APPROVED = "approved", _("Approved")
    WITHDRAWN = "withdrawn", _("Withdrawn")


DECISIONS = (ValueState.APPROVED, ValueState.WITHDRAWN)
PROPOSALS = (ValueState.DRAFT, ValueState.SUBMITTED, ValueState.RETURNED)

"""Web addresses a plan gives (its sources' documents): only http and https ones, ever.

A plan file, the admin and any page that shows a link go through `web_address`, so that an
address such as ``javascript:…`` is refused where it is written and never becomes a link
where it is shown, even if it reached the database some other way.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

SCHEMES = ("http", "https")
validate_web_address = URLValidator(
    schemes=list(SCHEMES),
    message="only a web address (http:// or https://) is accepted here",
)


def web_address(text: object) -> str:
    """Return ``text`` if it is an http or https address, else "" (shown as no link)."""
    if not isinstance(text, str) or not text:
        return ""
    try:
        validate_web_address(text)
    except ValidationError:
        return ""
    return text

from jalon.dashboard.tests.conftest import personas, strict_templates  # noqa: F401

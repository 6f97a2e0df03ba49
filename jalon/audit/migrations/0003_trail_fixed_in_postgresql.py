from django.db import migrations

FIX = """
CREATE OR REPLACE FUNCTION audit_trail_is_fixed() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'the audit trail cannot be changed';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_trail_is_fixed BEFORE UPDATE OR DELETE ON audit_auditevent
  FOR EACH ROW EXECUTE FUNCTION audit_trail_is_fixed();
"""
UNFIX = """
DROP TRIGGER IF EXISTS audit_trail_is_fixed ON audit_auditevent;
DROP FUNCTION IF EXISTS audit_trail_is_fixed();
"""


def run(sql):
    def apply(apps, schema_editor):
        # PostgreSQL refuses any change of an event, whoever asks; emptying the table
        # whole (TRUNCATE, as a test database's reset does) stays possible. SQLite has the
        # model's refusals only: its reset deletes rows one statement at a time.
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return apply


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_fixed_trail_per_plan")]

    operations = [migrations.RunPython(run(FIX), run(UNFIX))]

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that shows records but never changes them.

    Plans change through their file (``jalon plan load``), figures through imports, so
    that every change has a revision and an audit event; the admin is for reading.
    """

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    """An inline that shows related records without changing them."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

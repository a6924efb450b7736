"""Admin pieces more than one app's admin uses."""


class ReadOnlyAdmin:
    """A ModelAdmin mixin for pages that only show: nobody adds, changes or deletes through them (their
    rows are written by a service, or the page is a report)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

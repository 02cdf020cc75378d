"""Who reads what through the API, and who writes."""

from rest_framework.permissions import DjangoModelPermissionsOrAnonReadOnly

VIEW_DRAFTS_PERMISSION = "timeline.view_entry"


def can_view_drafts(user):
    """Editors and publishers (timeline.view_entry) see drafts; everyone else, published data."""
    return bool(user and user.is_authenticated and user.has_perm(VIEW_DRAFTS_PERMISSION))


class ModelPermissionsOrAnonReadOnly(DjangoModelPermissionsOrAnonReadOnly):
    """Reading is open (what is read is limited by the view's queryset); writing needs the
    model's add / change / delete permission, as in the admin. Publishing is checked by
    services.check_status_change when the status moves across "published"."""

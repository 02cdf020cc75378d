"""Template helpers for the editors' admin."""

from django import template
from django.conf import settings

from timeline.models import Entry

register = template.Library()

DRAFTS_SHOWN = 10


@register.simple_tag
def desk_summary(user):
    """What awaits review, and the signed-in editor's own drafts (two queries)."""
    if not (user.is_active and user.is_staff and user.has_perm("timeline.view_entry")):
        return None
    created_by_user = Entry.history.filter(history_type="+", history_user=user).values("id")
    return {
        "in_review": Entry.objects.filter(status=Entry.Status.REVIEW).count(),
        "my_drafts": list(
            Entry.objects.filter(status=Entry.Status.DRAFT, pk__in=created_by_user).order_by(
                "-updated_at"
            )[:DRAFTS_SHOWN]
        ),
    }


@register.simple_tag
def time_zone_label():
    """“Kyiv time” for Europe/Kyiv: the clock every time in the admin is typed in."""
    city = settings.TIME_ZONE.rsplit("/", 1)[-1].replace("_", " ")
    return f"{city} time"

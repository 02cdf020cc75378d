"""The Atom feed of published entries: /feed/."""

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from .history import public_updates, reader_reason
from .models import Entry
from .templatetags.timeline_tags import format_when

FEED_SIZE = 50


class EntryFeed(Feed):
    feed_type = Atom1Feed
    title = f"{settings.SITE_NAME}: diplomacy and strikes, entry by entry"
    subtitle = (
        "What was said about peace beside what was done by force: new published entries "
        "on the Parallax timeline."
    )
    link = reverse_lazy("timeline:index")
    feed_url = reverse_lazy("timeline:feed")
    author_name = settings.SITE_NAME

    def items(self):
        items = list(Entry.objects.published().order_by("-occurred_at", "-id")[:FEED_SIZE])
        # Corrections readers were told about, for all items in three queries.
        self.updates = public_updates(items)
        return items

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        # Atom <summary> is plain text here: the feed generator escapes it for XML.
        when = format_when(item.occurred_at, item.precision, item.ended_at)
        text = f"{item.get_track_display()}, {when}. {item.summary}"
        updates = self.updates.get(item.pk)
        if updates:
            latest = updates[0]
            steps = "; ".join(
                f"{step.what}" + (f" ({step.detail})" if step.detail else "")
                for step in latest.public_steps
            )
            reason = reader_reason(latest.reason)
            stamp = timezone.localtime(latest.at)
            text += f" Updated {stamp:%d %b %Y, %H:%M}: {steps}." + (f" {reason}" if reason else "")
        return text

    def item_pubdate(self, item):
        return item.published_at or item.occurred_at

    def item_updateddate(self, item):
        """The last correction readers were told about; otherwise when it was published."""
        updates = self.updates.get(item.pk)
        if updates:
            return updates[0].at
        return item.published_at or item.occurred_at

    def item_categories(self, item):
        return [item.get_track_display(), item.get_kind_display()]

    def item_guid(self, item):
        return f"tag:parallax,2025:entry:{item.pk}"

    item_guid_is_permalink = False

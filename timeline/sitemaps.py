"""/sitemap.xml: published entries, the actors and places that have them, and the index pages."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from .models import Actor, Entry, Place


class EntrySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    # Each page within the protocol's limits (50,000 URLs, 50 MB); pages read by keyset.
    limit = 5000

    def items(self):
        return Entry.objects.published().order_by("-occurred_at", "-id")

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        # Django's default reads every item for the index's <lastmod>; one MAX on an index.
        return Entry.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class ActorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return Actor.objects.published().order_by("name", "pk")


class PlaceSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return Place.objects.published().order_by("name", "pk")


class StaticSitemap(Sitemap):
    changefreq = "daily"
    priority = 1.0

    def items(self):
        return ["timeline:index", "timeline:claim-list"]

    def location(self, item):
        return reverse(item)


SITEMAPS = {
    "pages": StaticSitemap,
    "entries": EntrySitemap,
    "actors": ActorSitemap,
    "places": PlaceSitemap,
}

"""/sitemap.xml: published entries, the actors and places that have them, and the index pages."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Q
from django.urls import reverse

from .forms import published_places
from .models import Actor, Claim, Entry, EntryActor


class EntrySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    limit = 5000

    def items(self):
        return Entry.objects.published().order_by("-occurred_at", "-id")

    def lastmod(self, item):
        return item.updated_at


class ActorSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        published = Entry.objects.published()
        return Actor.objects.filter(
            Q(pk__in=EntryActor.objects.filter(entry__in=published).values("actor_id"))
            | Q(pk__in=Claim.objects.filter(entry__in=published).values("claimant_id"))
        ).order_by("name", "pk")


class PlaceSitemap(Sitemap):
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return published_places().order_by("name", "pk")


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

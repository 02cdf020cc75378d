"""/sitemap.xml: published entries, the actors and places that have them, and the index pages."""

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps.views import x_robots_tag
from django.contrib.sites.shortcuts import get_current_site
from django.core.paginator import Paginator
from django.db.models import Max
from django.http import HttpResponse
from django.template.defaultfilters import date as format_date
from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.timezone import template_localtime

from .models import Actor, Entry, FilterDayCount, FilterTotal, Place
from .rollup import refresh_stale_days


class KnownCountPaginator(Paginator):
    """A paginator told its count, so that the index does not count a million rows."""

    def __init__(self, object_list, per_page, *, count):
        super().__init__(object_list, per_page)
        self._known_count = count

    @cached_property
    def count(self):
        return self._known_count() if callable(self._known_count) else self._known_count


class FewPagesSitemap(Sitemap):
    """Actors and places: while the whole table fits one page, so do the published ones,
    and the index need not find out which those are (a probe per row)."""

    @property
    def paginator(self):
        items = self._items()

        def count():
            total = self.model.objects.count()
            return total if total <= self.limit else items.count()

        return KnownCountPaginator(items, self.limit, count=count)


class EntrySitemap(Sitemap):
    changefreq = "daily"
    priority = 0.8
    # Each page within the protocol's limits (50,000 URLs, 50 MB); pages read by keyset.
    limit = 5000

    def items(self):
        return Entry.objects.published().order_by("-occurred_at", "-id")

    @property
    def paginator(self):
        # Published entries are counted by the roll-up: one row.
        def count():
            refresh_stale_days()
            return FilterTotal.objects.of(FilterDayCount.Filter.PUBLISHED, "")

        return KnownCountPaginator(self._items(), self.limit, count=count)

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        # Django's default reads every item for the index's <lastmod>; one MAX on an index.
        return Entry.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class ActorSitemap(FewPagesSitemap):
    model = Actor
    changefreq = "weekly"
    priority = 0.5

    def items(self):
        return Actor.objects.published().order_by("name", "pk")


class PlaceSitemap(FewPagesSitemap):
    model = Place
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


@x_robots_tag
def sitemap_index(request):
    """/sitemap.xml, as django.contrib.sitemaps.views.index writes it (a line per page of
    each section, with the section's last change), but with each section's last change
    formatted once rather than once a line by the template: a million entries make 200
    lines, and the template spent 40 µs on each."""
    domain = get_current_site(request).domain
    lines, changes = [], []
    for section, sitemap_class in SITEMAPS.items():
        sitemap = sitemap_class()
        path = reverse("timeline:sitemap-section", kwargs={"section": section})
        location = escape(f"{sitemap.protocol or request.scheme}://{domain}{path}")
        changed = sitemap.get_latest_lastmod()
        changes.append(changed)
        shown = format_date(template_localtime(changed), "c") if changed else ""
        lastmod = f"<lastmod>{shown}</lastmod>" if changed else ""
        for page in range(1, sitemap.paginator.num_pages + 1):
            page_location = location if page == 1 else f"{location}?p={page}"
            lines.append(f"<sitemap><loc>{page_location}</loc>{lastmod}</sitemap>\n")
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{''.join(lines)}</sitemapindex>\n"
    )
    response = HttpResponse(body, content_type="application/xml")
    if all(changes):
        response.headers["Last-Modified"] = http_date(max(changes).timestamp())
    return response

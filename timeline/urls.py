from django.contrib.sitemaps import views as sitemap_views
from django.urls import path

from . import maps, views
from .feeds import EntryFeed
from .sitemaps import SITEMAPS, sitemap_index

app_name = "timeline"

urlpatterns = [
    path("", views.TimelineView.as_view(), name="index"),
    path("entries/<slug:slug>/", views.EntryDetailView.as_view(), name="entry-detail"),
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("actors/<slug:slug>/", views.ActorDetailView.as_view(), name="actor-detail"),
    path("places/<slug:slug>/", views.PlaceDetailView.as_view(), name="place-detail"),
    path("map/", maps.MapView.as_view(), name="map"),
    path("feed/", EntryFeed(), name="feed"),
    # An index of paged sitemaps (https://www.sitemaps.org/protocol.html#index).
    path("sitemap.xml", sitemap_index, name="sitemap"),
    path(
        "sitemap-<section>.xml",
        sitemap_views.sitemap,
        {"sitemaps": SITEMAPS},
        name="sitemap-section",
    ),
    path("suggest/<slug:what>/", views.suggest, name="suggest"),
    path("healthz", views.healthz, name="healthz"),
]

from django.contrib.sitemaps.views import sitemap
from django.urls import path

from . import views
from .feeds import EntryFeed
from .sitemaps import SITEMAPS

app_name = "timeline"

urlpatterns = [
    path("", views.TimelineView.as_view(), name="index"),
    path("entries/<slug:slug>/", views.EntryDetailView.as_view(), name="entry-detail"),
    path("claims/", views.ClaimListView.as_view(), name="claim-list"),
    path("actors/<slug:slug>/", views.ActorDetailView.as_view(), name="actor-detail"),
    path("places/<slug:slug>/", views.PlaceDetailView.as_view(), name="place-detail"),
    path("feed/", EntryFeed(), name="feed"),
    path("sitemap.xml", sitemap, {"sitemaps": SITEMAPS}, name="sitemap"),
    path("suggest/<slug:what>/", views.suggest, name="suggest"),
    path("healthz", views.healthz, name="healthz"),
]

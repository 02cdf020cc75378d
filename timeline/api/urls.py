"""The API: /api/v1/ resources and exports, /api/schema/ and its offline docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from ..maps import map_points
from . import exports, views

app_name = "api"

EXPORTS = {
    "export-csv": "export-entries-csv",
    "export-ucdp-csv": "export-entries-ucdp-csv",
    "export-timelinejs": "export-timelinejs",
    "export-geojson": "export-entries-geojson",
}


class Router(DefaultRouter):
    """The root lists the resources by name, then the exports."""

    include_format_suffixes = False  # one URL per resource: /entries/a.json is not a format

    def get_api_root_view(self, api_urls=None):
        api_root_dict = {
            prefix: self.routes[0].name.format(basename=basename)
            for prefix, _viewset, basename in self.registry
        }
        api_root_dict.update(EXPORTS)
        return self.APIRootView.as_view(api_root_dict=api_root_dict)


router = Router()
router.register("entries", views.EntryViewSet, basename="entry")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("figures", views.FigureViewSet, basename="figure")
router.register("actors", views.ActorViewSet, basename="actor")
router.register("places", views.PlaceViewSet, basename="place")
router.register("sources", views.SourceViewSet, basename="source")

urlpatterns = [
    path("v1/map/points/", map_points, name="map-points"),
    path("v1/", include(router.urls)),
    path(
        "v1/export/entries.csv",
        exports.EntriesCsvExport.as_view(),
        name="export-entries-csv",
    ),
    path(
        "v1/export/entries-ucdp.csv",
        exports.EntriesUcdpCsvExport.as_view(),
        name="export-entries-ucdp-csv",
    ),
    path(
        "v1/export/timelinejs.json",
        exports.TimelineJsExport.as_view(),
        name="export-timelinejs",
    ),
    path(
        "v1/export/entries.geojson",
        exports.EntriesGeoJsonExport.as_view(),
        name="export-entries-geojson",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script from a URL of its own (?script), so
    # the Content-Security-Policy needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", views.OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
]

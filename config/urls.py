from django.contrib import admin
from django.urls import include, path

from timeline.views import favicon

urlpatterns = [
    # Browsers ask every site for /favicon.ico, the admin included.
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/", include("timeline.api.urls")),
    path("", include("timeline.urls")),
]

handler500 = "timeline.errors.server_error"

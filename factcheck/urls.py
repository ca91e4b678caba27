from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView

from factcheck import apidocs, tokens_api

api_v1: list[URLPattern | URLResolver] = [
    path("", include("annotations.api.urls")),
    path("", include("reviews.api.urls")),
    path("tokens/", tokens_api.TokenListView.as_view(), name="token-list"),
    path("tokens/<int:pk>/", tokens_api.TokenDetailView.as_view(), name="token-detail"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "v1"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", apidocs.SwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/auth/", include("rest_framework.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", include("annotations.web.urls")),
]

handler400 = "factcheck.handlers.bad_request"
handler404 = "factcheck.handlers.not_found"
handler500 = "factcheck.handlers.server_error"

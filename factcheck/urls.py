from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from annotations.api import views as a
from reviews.api import views as r

api_v1 = [
    path("articles/", a.ArticleListCreateView.as_view(), name="article-list"),
    path("articles/<uuid:pk>/", a.ArticleDetailView.as_view(), name="article-detail"),
    path("articles/<uuid:pk>/claims/", a.ArticleClaimCreateView.as_view(), name="article-claims"),
    path("claims/", a.ClaimListView.as_view(), name="claim-list"),
    path("claims/<uuid:pk>/", a.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<uuid:pk>/evidence/", a.ClaimEvidenceCreateView.as_view(), name="claim-evidence"),
    path("claims/<uuid:pk>/review/", r.ReviewDetailView.as_view(), name="claim-review"),
    path(
        "claims/<uuid:pk>/review/transitions/",
        r.ReviewTransitionView.as_view(),
        name="claim-review-transitions",
    ),
    path("evidence/<uuid:pk>/", a.EvidenceDetailView.as_view(), name="evidence-detail"),
    path("links/", a.LinkListView.as_view(), name="link-list"),
    path("links/<int:pk>/", a.LinkDetailView.as_view(), name="link-detail"),
    path("links/<int:pk>/recheck/", a.LinkRecheckView.as_view(), name="link-recheck"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "v1"))),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/auth/", include("rest_framework.urls")),
]

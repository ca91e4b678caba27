from django.urls import path

from annotations.api import snapshots
from annotations.api import views as v
from annotations.api.bulk import ArticleBulkView
from annotations.api.claim_bulk import ClaimBulkView

urlpatterns = [
    path("articles/", v.ArticleListCreateView.as_view(), name="article-list"),
    path("articles/bulk/", ArticleBulkView.as_view(), name="article-bulk"),
    path("articles/<uuid:pk>/", v.ArticleDetailView.as_view(), name="article-detail"),
    path("articles/<uuid:pk>/claims/", v.ArticleClaimCreateView.as_view(), name="article-claims"),
    path("articles/<uuid:pk>/refetch/", v.ArticleRefetchView.as_view(), name="article-refetch"),
    path(
        "articles/<uuid:pk>/annotations/",
        v.ArticleAnnotationsView.as_view(),
        name="article-annotations",
    ),
    path("claims/", v.ClaimListView.as_view(), name="claim-list"),
    path("claims/bulk/", ClaimBulkView.as_view(), name="claim-bulk"),
    path("claims/<uuid:pk>/", v.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<uuid:pk>/merge/", v.ClaimMergeView.as_view(), name="claim-merge"),
    path("claimants/", v.ClaimantListView.as_view(), name="claimant-list"),
    path("claims/<uuid:pk>/annotation/", v.ClaimAnnotationView.as_view(), name="claim-annotation"),
    path("claims/<uuid:pk>/evidence/", v.ClaimEvidenceCreateView.as_view(), name="claim-evidence"),
    path(
        "claims/<uuid:pk>/evidence.wacz",
        snapshots.ClaimEvidenceWaczView.as_view(),
        name="claim-evidence-wacz",
    ),
    path("evidence/<uuid:pk>/", v.EvidenceDetailView.as_view(), name="evidence-detail"),
    path(
        "evidence/<uuid:pk>/snapshot/",
        snapshots.EvidenceSnapshotView.as_view(),
        name="evidence-snapshot",
    ),
    path(
        "evidence/<uuid:pk>/snapshot.warc",
        snapshots.EvidenceSnapshotWarcView.as_view(),
        name="evidence-snapshot-warc",
    ),
    path("evidence/<uuid:pk>/diff/", snapshots.EvidenceDiffView.as_view(), name="evidence-diff"),
    path("links/", v.LinkListView.as_view(), name="link-list"),
    path("links/<int:pk>/", v.LinkDetailView.as_view(), name="link-detail"),
    path("links/<int:pk>/recheck/", v.LinkRecheckView.as_view(), name="link-recheck"),
]

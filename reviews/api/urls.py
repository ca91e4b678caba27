from django.urls import path

from reviews.api import discussion
from reviews.api import views as v
from reviews.api.exports import FeverExportView
from reviews.webhooks import api as webhooks

urlpatterns = [
    path("claims/<uuid:pk>/review/", v.ReviewDetailView.as_view(), name="claim-review"),
    path(
        "claims/<uuid:pk>/review/transitions/",
        v.ReviewTransitionView.as_view(),
        name="claim-review-transitions",
    ),
    path("claims/<uuid:pk>/history/", v.ClaimHistoryView.as_view(), name="claim-history"),
    path("claims/<uuid:pk>/claimreview/", v.ClaimReviewView.as_view(), name="claim-claimreview"),
    path(
        "claims/<uuid:pk>/publications/",
        v.PublicationListView.as_view(),
        name="claim-publications",
    ),
    path(
        "claims/<uuid:pk>/comments/", discussion.ClaimCommentsView.as_view(), name="claim-comments"
    ),
    path("notifications/", discussion.NotificationListView.as_view(), name="notification-list"),
    path(
        "notifications/read/",
        discussion.NotificationReadView.as_view(),
        name="notification-read",
    ),
    path(
        "notifications/settings/",
        discussion.NotificationSettingsView.as_view(),
        name="notification-settings",
    ),
    path(
        "notifications/<int:pk>/",
        discussion.NotificationDetailView.as_view(),
        name="notification-detail",
    ),
    path("claimreviews/", v.ClaimReviewFeedView.as_view(), name="claimreview-feed"),
    path("corrections/", v.CorrectionListView.as_view(), name="correction-list"),
    path("exports/fever.jsonl", FeverExportView.as_view(), name="export-fever"),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<uuid:pk>/", webhooks.WebhookDetailView.as_view(), name="webhook-detail"),
    path("webhooks/<uuid:pk>/ping/", webhooks.WebhookPingView.as_view(), name="webhook-ping"),
    path(
        "webhooks/<uuid:pk>/deliveries/",
        webhooks.WebhookDeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
]

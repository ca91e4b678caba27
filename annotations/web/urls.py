from django.urls import path

from annotations.web import desk_help, desk_queue, editing, inbox, revisions, snapshots, views

app_name = "web"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("queue/bulk/", desk_queue.queue_bulk, name="queue-bulk"),
    path("workload/", desk_queue.workload_page, name="workload"),
    path("articles/", views.article_list, name="articles"),
    path("articles/new/", views.article_submit, name="article-submit"),
    path("articles/<uuid:article_id>/", views.reader, name="article"),
    path("articles/<uuid:article_id>/claims/", views.claim_create, name="claim-create"),
    path("articles/<uuid:article_id>/refetch/", views.article_refetch, name="article-refetch"),
    path(
        "articles/<uuid:article_id>/revisions/",
        revisions.article_revisions,
        name="article-revisions",
    ),
    path("claims/<uuid:claim_id>/", views.published_claim, name="published"),
    path("claims/<uuid:claim_id>/panel/", views.claim_panel, name="claim"),
    path("claims/<uuid:claim_id>/edit/", views.claim_update, name="claim-update"),
    path("claims/<uuid:claim_id>/transition/", views.claim_transition, name="claim-transition"),
    path("claims/<uuid:claim_id>/span/", views.desk_view(editing.claim_span), name="claim-span"),
    path(
        "claims/<uuid:claim_id>/delete/", views.desk_view(editing.claim_delete), name="claim-delete"
    ),
    path("claims/<uuid:claim_id>/merge/", views.desk_view(editing.claim_merge), name="claim-merge"),
    path(
        "evidence/<uuid:evidence_id>/edit/",
        views.desk_view(editing.evidence_update),
        name="evidence-edit",
    ),
    path("claimants/", views.desk_view(editing.claimant_options), name="claimant-options"),
    path(
        "evidence/<uuid:evidence_id>/item/",
        views.desk_view(editing.evidence_item),
        name="evidence-item",
    ),
    path("claims/<uuid:claim_id>/evidence/", views.evidence_add, name="evidence-add"),
    path("evidence/<uuid:evidence_id>/remove/", views.evidence_remove, name="evidence-remove"),
    path("evidence/<uuid:evidence_id>/recheck/", views.evidence_recheck, name="evidence-recheck"),
    path("stale/", views.stale_sources, name="stale"),
    path("help/", desk_help.help_page, name="help"),
    path("claims/<uuid:claim_id>/comments/", inbox.comment_post, name="comment-post"),
    path("notifications/", inbox.notifications, name="notifications"),
    path("notifications/read/", inbox.notifications_read, name="notifications-read"),
    path("notifications/settings/", inbox.notification_settings, name="notification-settings"),
    path(
        "evidence/<uuid:evidence_id>/changes/", snapshots.evidence_changes, name="evidence-changes"
    ),
    path(
        "evidence/<uuid:evidence_id>/as-cited/",
        snapshots.evidence_snapshot,
        name="evidence-snapshot",
    ),
]

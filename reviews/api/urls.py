from django.urls import path

from reviews.api import views as v

urlpatterns = [
    path("claims/<uuid:pk>/review/", v.ReviewDetailView.as_view(), name="claim-review"),
    path(
        "claims/<uuid:pk>/review/transitions/",
        v.ReviewTransitionView.as_view(),
        name="claim-review-transitions",
    ),
]

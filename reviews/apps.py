from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewsConfig(AppConfig):
    name = "reviews"
    verbose_name = "Verification reviews"

    def ready(self) -> None:
        # Imported here: the app registry must be ready before models load.
        from reviews import receivers
        from reviews.roles import roles_sync_permissions

        post_migrate.connect(roles_sync_permissions, sender=self)
        receivers.connect()

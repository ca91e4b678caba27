from django.apps import AppConfig
from django.db.backends.signals import connection_created


class AnnotationsConfig(AppConfig):
    name = "annotations"
    verbose_name = "Articles, claims and evidence"

    def ready(self) -> None:
        from annotations.search import register_sqlite_functions

        # The embedded default's claim search folds accents in Python (annotations.search).
        connection_created.connect(register_sqlite_functions, dispatch_uid="factcheck_fold")

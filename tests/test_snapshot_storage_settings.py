"""The snapshots storage from the environment: files under VAR_DIR, or an S3-compatible bucket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _storage(**env: str) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SNAPSHOT_"))}
    base.update({"DJANGO_SETTINGS_MODULE": "factcheck.settings", "DEBUG": "1", **env})
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['snapshots']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True
    )
    return json.loads(done.stdout) if done.returncode == 0 else done.stderr


def test_files_under_var_by_default(tmp_path: Path) -> None:
    assert _storage(VAR_DIR=str(tmp_path)) == {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "snapshots"), "base_url": None},
    }


def test_an_s3_compatible_bucket_is_a_setting_away() -> None:
    s3 = "storages.backends.s3.S3Storage"
    assert _storage(
        SNAPSHOT_STORAGE_BACKEND=s3,
        AWS_STORAGE_BUCKET_NAME="desk-snapshots",
        AWS_S3_ENDPOINT_URL="http://127.0.0.1:9000",
    ) == {
        "BACKEND": s3,
        "OPTIONS": {
            "bucket_name": "desk-snapshots",
            "location": "snapshots",
            "default_acl": "private",
            "querystring_auth": True,
            "file_overwrite": False,
            "endpoint_url": "http://127.0.0.1:9000",
        },
    }
    # Without a bucket the settings say so, rather than failing at the first capture.
    assert "set AWS_STORAGE_BUCKET_NAME" in _storage(SNAPSHOT_STORAGE_BACKEND=s3)

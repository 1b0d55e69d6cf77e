"""The admin's Import book page gives the same validation and report; Export book downloads a zip."""
from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from policies.models import Policy
from tests.integration.exchange.bookfiles import FIXTURES, book_copy, cell_set
from tests.integration.reserving.runbook import eager_celery  # noqa: F401 - fixture

# the import runs as a job; eager here even when CI sets a broker (the page answers with the report)
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def _uploads(book):
    return [SimpleUploadedFile(p.name, p.read_bytes(), content_type="text/csv") for p in sorted(book.glob("*.csv"))]


def test_admin_import_of_csv_files_shows_the_report(admin_client):
    response = admin_client.post(reverse("admin:exchange_import"), {"files": _uploads(FIXTURES / "small")})
    assert response.status_code == 200
    assert "claim_transactions.csv: 13 rows" in response.content.decode()
    assert Policy.objects.count() == 4


def test_admin_import_of_a_zip_with_a_bad_row_lists_the_error_and_writes_nothing(admin_client, tmp_path):
    book = book_copy(tmp_path)
    cell_set(book, "claims.csv", 2, "litigated", "yes")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for p in book.glob("*.csv"):
            archive.write(p, f"book/{p.name}")
    upload = SimpleUploadedFile("book.zip", buffer.getvalue(), content_type="application/zip")
    response = admin_client.post(reverse("admin:exchange_import"), {"files": [upload]})
    body = response.content.decode()
    assert "claims.csv:2: bad boolean in litigated" in body
    assert Policy.objects.count() == 0


def test_admin_export_downloads_the_book_as_a_zip(admin_client):
    admin_client.post(reverse("admin:exchange_import"), {"files": _uploads(FIXTURES / "small")})
    response = admin_client.get(reverse("admin:exchange_export"))
    assert response["Content-Type"] == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert sorted(names) == ["book.json", "claim_transactions.csv", "claims.csv", "fx_rates.csv", "policies.csv",
                             "premium_transactions.csv", "segments.csv", "treaties.csv"]


def test_import_page_is_linked_from_the_admin_index(admin_client):
    assert reverse("admin:exchange_import") in admin_client.get(reverse("admin:index")).content.decode()


def test_import_needs_the_permission_to_add_policies(client, django_user_model):
    user = django_user_model.objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    response = client.post(reverse("admin:exchange_import"), {"files": _uploads(FIXTURES / "small")})
    assert response.status_code == 403
    assert Policy.objects.count() == 0

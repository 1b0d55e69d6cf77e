"""Tariff test fixtures. The seed tariff is loaded from its fixture in every test, not taken
from the data migration, because transactional tests elsewhere flush the database."""
import pytest
from django.core.management import call_command


@pytest.fixture
def seed_tariff(db):
    call_command("loaddata", "ir_paramed_1399", verbosity=0)

"""Database constraints and validation that keep the domain consistent."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Line, User
from accounts.roles import Profile
from tests.conftest import World
from tests.factories import CompanyFactory, LineFactory, SimFactory, UserFactory


def test_a_company_has_at_most_one_lr_account(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(company=world.company, profile=Profile.LR)


def test_another_company_can_have_its_own_lr(world: World) -> None:
    UserFactory(company=CompanyFactory(), profile=Profile.LR)


def test_a_customer_has_a_profile_and_staff_none(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(company=world.company, profile=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(company=None, profile=Profile.USER)


def test_line_numbers_are_unique(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        LineFactory(contract=world.mobile, number=world.lr_line.number)


def test_dual_billing_needs_an_assignee(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        LineFactory(contract=world.mobile, dual_billing=True, assignee=None)


def test_a_line_has_one_active_sim(world: World) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        SimFactory(line=world.lr_line)
    SimFactory(line=world.lr_line, is_active=False)  # an old SIM stays as history


def test_a_line_belongs_to_its_contracts_company(world: World) -> None:
    line = Line.objects.select_related("contract").get(pk=world.lr_line.pk)
    assert line.contract.company == world.company
    line.assignee = world.outsider_lr
    with pytest.raises(ValidationError) as excinfo:
        line.full_clean()
    assert "assignee" in excinfo.value.message_dict


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("vat_number", "12345678901"),
        ("vat_number", "0123"),
        ("tax_code", "NOTACODE"),
        ("legal_rep_tax_code", "RSSMRA70A01H501X"),
        ("legal_postal_code", "0010"),
        ("legal_province", "Roma"),
    ],
)
def test_company_fiscal_data_is_validated(field: str, value: str, world: World) -> None:
    company = world.company
    setattr(company, field, value)
    with pytest.raises(ValidationError) as excinfo:
        company.full_clean()
    assert field in excinfo.value.message_dict


def test_valid_company_passes_validation(world: World) -> None:
    world.company.full_clean()


def test_a_bad_iccid_is_refused(world: World) -> None:
    sim = world.lr_line.sims.get()
    sim.iccid = sim.iccid[:-1] + str((int(sim.iccid[-1]) + 1) % 10)
    with pytest.raises(ValidationError):
        sim.full_clean()


def test_a_person_read_by_key_is_the_person_the_orm_reads(
    world: World, django_assert_num_queries: Any
) -> None:
    """Every signed-in request reads its person with User.objects.get(pk=...), one plain
    query: the same person, field for field, as the ORM builds, and ready to be saved."""
    with django_assert_num_queries(1):
        person = User.objects.get(pk=world.light.pk)
    built = User.objects.filter(pk=world.light.pk).get()
    fields = [field.attname for field in User._meta.concrete_fields]
    assert [getattr(person, name) for name in fields] == [getattr(built, name) for name in fields]
    assert person.profile == Profile.LIGHT and person.company_id == world.company.pk
    assert not person._state.adding and person._state.db == "default"
    person.first_name = "Giovanna"
    person.save(update_fields=["first_name"])
    assert User.objects.filter(pk=world.light.pk, first_name="Giovanna").exists()


def test_a_person_read_by_key_is_found_as_the_orm_finds_them(world: World) -> None:
    """A key as text is the same key; an unknown one is nobody; a read through a relation
    keeps the relation's filter (another company's person is not one of ours)."""
    assert User.objects.get(pk=str(world.light.pk)) == world.light
    with pytest.raises(User.DoesNotExist):
        User.objects.get(pk=0)
    assert User.objects.get(username=world.light.username) == world.light
    assert world.company.users.get(pk=world.light.pk) == world.light
    with pytest.raises(User.DoesNotExist):
        world.company.users.get(pk=world.outsider_lr.pk)

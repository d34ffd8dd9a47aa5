"""factory_boy factories: valid Italian fiscal data, unique numbers, sane defaults."""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.utils import timezone
from stdnum import luhn
from stdnum.it import codicefiscale

from accounts.models import Company, Contract, Invitation, Line, Sim, User
from accounts.roles import Profile
from billing.models import Invoice, InvoiceItem, InvoiceVat, PaymentMethod
from lines.models import LineService, ServiceKind
from offers.models import Offer


def _partita_iva(n: int) -> str:
    first_ten = f"{n:07d}001"
    return first_ten + luhn.calc_check_digit(first_ten)


def _codice_fiscale(n: int) -> str:
    # A syntactically valid person's code: surname, name, birth data, municipality.
    letters = "BCDFGHLMNPRSTVZ"
    first_fifteen = (
        letters[n % 15]
        + letters[(n // 15) % 15]
        + "S"
        + "MRA"
        + f"{70 + n % 30:02d}"
        + "A"
        + f"{1 + n % 28:02d}"
        + "H501"
    )
    return first_fifteen + codicefiscale.calc_check_digit(first_fifteen)


def _iccid(n: int) -> str:
    body = f"893901{n:012d}"
    return body + luhn.calc_check_digit(body)


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Azienda {n} S.r.l.")
    vat_number = factory.Sequence(lambda n: _partita_iva(n + 1))
    tax_code = factory.SelfAttribute("vat_number")
    customer_code = factory.Sequence(lambda n: f"CT{n:07d}")
    legal_street = "Via Roma 1"
    legal_postal_code = "00100"
    legal_city = "Roma"
    legal_province = "RM"
    contact_email = factory.Sequence(lambda n: f"info{n}@azienda.example.it")
    legal_rep_first_name = "Mario"
    legal_rep_last_name = "Rossi"
    legal_rep_tax_code = factory.Sequence(lambda n: _codice_fiscale(n))


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"persona{n}")
    first_name = factory.Faker("first_name", locale="it_IT")
    last_name = factory.Faker("last_name", locale="it_IT")
    email = factory.Sequence(lambda n: f"persona{n}@azienda.example.it")
    company = factory.SubFactory(CompanyFactory)
    profile = Profile.USER
    tax_code = factory.Sequence(lambda n: _codice_fiscale(n + 500))
    password = factory.django.Password("Password-di-prova-1")


class StaffFactory(UserFactory):
    company = None
    profile = None
    tax_code = ""
    is_staff = True


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    company = factory.SubFactory(CompanyFactory)
    number = factory.Sequence(lambda n: f"CTR-{n:07d}")
    kind = Contract.Kind.MOBILE
    started_on = date(2022, 1, 1)


class LineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Line

    contract = factory.SubFactory(ContractFactory)
    number = factory.Sequence(lambda n: f"+39333{n:07d}")
    activated_on = date(2022, 1, 1)


class SimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Sim

    line = factory.SubFactory(LineFactory)
    iccid = factory.Sequence(lambda n: _iccid(n + 1))
    puk = "12345678"
    activated_on = date(2022, 1, 1)


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invitation

    company = factory.SubFactory(CompanyFactory)
    first_name = "Giulia"
    last_name = "Neri"
    email = factory.Sequence(lambda n: f"invitata{n}@azienda.example.it")
    tax_code = factory.Sequence(lambda n: _codice_fiscale(n + 900))
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    sent_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=7))


class InvoiceFactory(factory.django.DjangoModelFactory):
    """An invoice of 100 € + 22% VAT, with one fee item."""

    class Meta:
        model = Invoice
        skip_postgeneration_save = True

    company = factory.SubFactory(CompanyFactory)
    contract = factory.SubFactory(ContractFactory, company=factory.SelfAttribute("..company"))
    number = factory.Sequence(lambda n: f"FT{n:08d}")
    issue_date = date(2026, 10, 5)
    period_start = date(2026, 9, 1)
    period_end = date(2026, 9, 30)
    due_date = date(2026, 10, 25)
    taxable = Decimal("100.00")
    vat = Decimal("22.00")
    total = Decimal("122.00")
    payment_method = PaymentMethod.BANK_TRANSFER
    personal_line = None
    # As the import does: a personal invoice is issued to the line's holder of the day.
    billed_to = factory.LazyAttribute(
        lambda invoice: invoice.personal_line.assignee if invoice.personal_line else None
    )

    @factory.post_generation
    def with_items(self, create: bool, extracted: object, **kwargs: object) -> None:
        if create:
            InvoiceItem.objects.create(
                invoice=self, category="FEE", service="Canone", amount=self.taxable, vat_rate=22
            )
            InvoiceVat.objects.create(invoice=self, rate=22, taxable=self.taxable, vat=self.vat)


class LineServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LineService

    line = factory.SubFactory(LineFactory)
    code = factory.Sequence(lambda n: f"servizio-{n}")
    name = factory.Sequence(lambda n: f"Servizio {n}")
    kind = ServiceKind.OPTION
    monthly_fee = Decimal("5.00")
    since = date(2025, 1, 1)


class OfferFactory(factory.django.DjangoModelFactory):
    """A mobile option for SMEs, valid from a month ago to a month ahead."""

    class Meta:
        model = Offer

    code = factory.Sequence(lambda n: f"offerta-{n}")
    name = factory.Sequence(lambda n: f"Offerta {n}")
    summary = "Giga in più ogni mese."
    description = "Tanti giga in più."
    service_kind = ServiceKind.OPTION
    line_kind = Contract.Kind.MOBILE
    segments = factory.LazyFunction(lambda: [Company.Segment.SME])
    monthly_fee = Decimal("6.00")
    activation_fee = Decimal("2.50")
    valid_from = factory.LazyFunction(lambda: timezone.localdate() - timedelta(days=30))
    valid_until = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))


class PlanFactory(factory.django.DjangoModelFactory):
    """A mobile plan of the catalogue for every segment."""

    class Meta:
        model = "lines.Plan"

    code = factory.Sequence(lambda n: f"piano-{n}")
    name = factory.Sequence(lambda n: f"Business {n} GB")
    description = "Minuti e SMS illimitati, giga in Italia e in UE."
    monthly_fee = Decimal("12.00")
    data_gb = 50
    segments = factory.LazyFunction(lambda: list(Company.Segment.values))

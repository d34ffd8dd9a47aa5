from django.contrib import admin

from offers.models import Offer


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin[Offer]):
    list_display = ["name", "code", "line_kind", "monthly_fee", "valid_from", "valid_until"]
    list_filter = ["line_kind", "service_kind"]
    search_fields = ["name", "code"]

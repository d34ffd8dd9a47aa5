from django.contrib import admin

from lines.models import LineEvent, LineService


@admin.register(LineService)
class LineServiceAdmin(admin.ModelAdmin[LineService]):
    list_display = ["line", "name", "kind", "monthly_fee", "since", "until"]
    list_filter = ["kind"]
    search_fields = ["line__number", "name", "code"]
    raw_id_fields = ["line", "request"]


@admin.register(LineEvent)
class LineEventAdmin(admin.ModelAdmin[LineEvent]):
    list_display = ["line", "kind", "at", "actor_name"]
    list_filter = ["kind"]
    search_fields = ["line__number"]
    readonly_fields = ["line", "kind", "at", "actor", "actor_name", "details"]

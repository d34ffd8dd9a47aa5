from django.contrib import admin

from api.models import ApiClient


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin[ApiClient]):
    list_display = ["name", "is_active", "created_at", "last_used_at"]
    readonly_fields = ["token_hash", "created_at", "last_used_at"]

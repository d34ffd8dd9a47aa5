from django.urls import path

from area_clienti.views import section_landing

app_name = "support"

urlpatterns = [
    path("", section_landing("support"), name="index"),
]

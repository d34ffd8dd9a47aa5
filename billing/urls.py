from django.urls import path

from area_clienti.views import section_landing

app_name = "billing"

urlpatterns = [
    path("", section_landing("billing"), name="index"),
]

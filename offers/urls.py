from django.urls import path

from area_clienti.views import section_landing

app_name = "offers"

urlpatterns = [
    path("", section_landing("offers"), name="index"),
]

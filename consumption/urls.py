from django.urls import path

from area_clienti.views import section_landing

app_name = "consumption"

urlpatterns = [
    path("", section_landing("consumption"), name="index"),
]

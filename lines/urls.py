from django.urls import path

from area_clienti.views import section_landing

app_name = "lines"

urlpatterns = [
    path("", section_landing("lines"), name="index"),
]

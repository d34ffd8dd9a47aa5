from django.urls import path

from area_clienti.views import section_landing

app_name = "tracking"

urlpatterns = [
    path("", section_landing("tracking"), name="index"),
]

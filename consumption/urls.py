from django.urls import path

from consumption import views

app_name = "consumption"

urlpatterns = [
    path("", views.index, name="index"),
    path("sim/<int:pk>/", views.sim_usage, name="sim-usage"),
    path("tutte-le-sim/", views.all_sims, name="all-sims"),
    path("servizi-fatturati/", views.billed_report, name="billed-report"),
]

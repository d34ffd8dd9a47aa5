from django.urls import path

from consumption import views

app_name = "consumption"

urlpatterns = [
    path("", views.index, name="index"),
    path("sim/<int:pk>/", views.sim_usage, name="sim-usage"),
    path("tutte-le-sim/", views.all_sims, name="all-sims"),
    path("servizi-fatturati/", views.billed_report, name="billed-report"),
    path("sim/<int:pk>/ricarica/", views.top_up, name="top-up"),
    path("ricariche/", views.top_up_history, name="top-up-history"),
    path("ricariche/<str:reference>/", views.top_up_result, name="top-up-result"),
]

from django.urls import path

from lines import views

app_name = "lines"

urlpatterns = [
    path("", views.line_list, name="index"),
    path("<int:pk>/", views.line_detail, name="detail"),
    path("<int:pk>/blocco/", views.sim_block, name="sim-block"),
    path("<int:pk>/sblocco/", views.sim_unblock, name="sim-unblock"),
    path("<int:pk>/cambio-sim/", views.sim_change, name="sim-change"),
    path("<int:pk>/trasloco/", views.relocation, name="relocation"),
]

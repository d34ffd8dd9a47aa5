from django.urls import path

from lines import order_views, theft_views, views

app_name = "lines"

urlpatterns = [
    path("", views.line_list, name="index"),
    path("<int:pk>/", views.line_detail, name="detail"),
    path("<int:pk>/blocco/", views.sim_block, name="sim-block"),
    path("<int:pk>/sblocco/", views.sim_unblock, name="sim-unblock"),
    path("<int:pk>/cambio-sim/", views.sim_change, name="sim-change"),
    path("<int:pk>/trasloco/", views.relocation, name="relocation"),
    path("ordini/", order_views.order_list, name="order-list"),
    path("ordini/nuovo/", order_views.order_create, name="order-create"),
    path("ordini/<str:reference>/", order_views.order_detail, name="order-detail"),
    path("ordini/<str:reference>/modifica/", order_views.order_edit, name="order-edit"),
    path("<int:pk>/furto/<int:case_pk>/", theft_views.theft_case, name="theft-case"),
    path(
        "<int:pk>/furto/<int:case_pk>/denuncia/",
        theft_views.theft_report_download,
        name="theft-report-download",
    ),
    path(
        "<int:pk>/furto/<int:case_pk>/dispositivo/",
        theft_views.theft_device_block,
        name="theft-device-block",
    ),
    path(
        "<int:pk>/furto/<int:case_pk>/nuova-sim/",
        theft_views.theft_replacement,
        name="theft-replacement",
    ),
]

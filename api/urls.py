from django.urls import path

from api import orders, requests, shipments, views

app_name = "api"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("usage/", views.usage, name="usage"),
    path("requests/", requests.request_create_view, name="requests"),
    path("requests/<str:reference>/", requests.request_detail_view, name="request-detail"),
    path(
        "requests/<str:reference>/transitions/",
        requests.request_transition_view,
        name="request-transition",
    ),
    path("orders/", orders.order_create_view, name="orders"),
    path(
        "requests/<str:reference>/shipments/<str:shipment_id>/transitions/",
        shipments.shipment_transition_view,
        name="shipment-transition",
    ),
    path(
        "requests/<str:reference>/sims/<str:position>/port-in/transitions/",
        orders.port_in_transition_view,
        name="port-in-transition",
    ),
    path("openapi.json", views.openapi, name="openapi"),
]

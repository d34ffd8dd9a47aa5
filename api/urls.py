from django.urls import path

from api import requests, views

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
    path("openapi.json", views.openapi, name="openapi"),
]

from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("usage/", views.usage, name="usage"),
    path("openapi.json", views.openapi, name="openapi"),
]

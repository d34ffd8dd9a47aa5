from django.urls import path

from api import views

app_name = "api"

urlpatterns = [
    path("invoices/", views.invoices, name="invoices"),
    path("openapi.json", views.openapi, name="openapi"),
]

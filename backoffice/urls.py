from django.urls import path

from backoffice import views

app_name = "backoffice"

urlpatterns = [
    path("", views.index, name="index"),
    path("richieste/<int:pk>/", views.request_detail, name="request-detail"),
    path("ricerca/", views.search, name="search"),
]

from django.urls import path

from tracking import views

app_name = "tracking"

urlpatterns = [
    path("", views.request_list, name="index"),
    path("<str:reference>/", views.request_detail, name="detail"),
]

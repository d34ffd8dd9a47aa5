from django.urls import path

from offers import views

app_name = "offers"

urlpatterns = [
    path("", views.offer_list, name="index"),
    path("<slug:code>/", views.offer_detail, name="detail"),
    path("<slug:code>/attiva/", views.offer_activate, name="activate"),
]

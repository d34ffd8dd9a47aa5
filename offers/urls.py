from django.urls import path

from offers import views

app_name = "offers"

urlpatterns = [
    path("", views.offer_list, name="index"),
    path("<slug:code>/", views.offer_detail, name="detail"),
    path("<slug:code>/scelta/", views.offer_choose, name="choose"),
    path("<slug:code>/riepilogo/", views.offer_summary, name="summary"),
    path("<slug:code>/attiva/", views.offer_activate, name="activate"),
]

from django.urls import path

from tracking import approval_views, views

app_name = "tracking"

urlpatterns = [
    path("", views.request_list, name="index"),
    # Before "<reference>/", which would take "approvazioni" for a reference.
    path("approvazioni/", approval_views.approval_list, name="approval-list"),
    path(
        "approvazioni/<str:reference>/",
        approval_views.approval_detail,
        name="approval-detail",
    ),
    path("<str:reference>/ritira/", approval_views.request_withdraw, name="request-withdraw"),
    path("<str:reference>/", views.request_detail, name="detail"),
]

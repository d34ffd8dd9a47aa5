from django.urls import path

from costs import cost_centre_views, notification_views, report_views, threshold_views, views

app_name = "costs"

urlpatterns = [
    path("", views.index, name="index"),
    path("soglie/", threshold_views.threshold_list, name="thresholds"),
    path("soglie/nuova/", threshold_views.threshold_create, name="threshold-create"),
    path("soglie/<int:pk>/", threshold_views.threshold_edit, name="threshold-edit"),
    path("soglie/<int:pk>/elimina/", threshold_views.threshold_delete, name="threshold-delete"),
    path("notifiche/", notification_views.notification_list, name="notifications"),
    path(
        "notifiche/lette/", notification_views.notifications_read_all, name="notifications-read-all"
    ),
    path(
        "notifiche/<int:pk>/apri/", notification_views.notification_open, name="notification-open"
    ),
    path("report/", report_views.report_settings, name="reports"),
    path("report/disiscriviti/", report_views.report_unsubscribe, name="reports-unsubscribe"),
    path("centri/", cost_centre_views.cost_centre_list, name="cost-centres"),
    path("centri/nuovo/", cost_centre_views.cost_centre_create, name="cost-centre-create"),
    path("centri/riepilogo/", cost_centre_views.cost_centre_rollup, name="cost-centre-rollup"),
    path("centri/<int:pk>/", cost_centre_views.cost_centre_detail, name="cost-centre-detail"),
    path("centri/<int:pk>/modifica/", cost_centre_views.cost_centre_edit, name="cost-centre-edit"),
    path(
        "centri/<int:pk>/elimina/", cost_centre_views.cost_centre_delete, name="cost-centre-delete"
    ),
    path(
        "centri/<int:pk>/scelta/", cost_centre_views.cost_centre_choose, name="cost-centre-choose"
    ),
    path("centri/<int:pk>/file/", cost_centre_views.cost_centre_upload, name="cost-centre-upload"),
    path(
        "centri/<int:pk>/togli/",
        cost_centre_views.cost_centre_remove_line,
        name="cost-centre-remove-line",
    ),
]

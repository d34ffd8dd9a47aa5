from django.urls import path

from backoffice import order_views, shipment_views, views

app_name = "backoffice"

urlpatterns = [
    path("", views.index, name="index"),
    path("richieste/<int:pk>/", views.request_detail, name="request-detail"),
    path(
        "richieste/<int:pk>/nuova-spedizione/",
        shipment_views.shipment_new,
        name="shipment-new",
    ),
    path("spedizioni/<int:pk>/", shipment_views.shipment_detail, name="shipment"),
    path(
        "sim-ordinate/<int:pk>/portabilita/",
        order_views.port_in_move_view,
        name="port-in-move",
    ),
    path("allegati/<int:pk>/", views.attachment, name="attachment"),
    path("chat/", views.chat_list, name="chat-list"),
    path("chat/<int:pk>/", views.chat_view, name="chat"),
    path("chat/<int:pk>/messaggi/", views.chat_messages, name="chat-messages"),
    path("chat/<int:pk>/prendi/", views.chat_take, name="chat-take"),
    path("chat/<int:pk>/chiudi/", views.chat_close, name="chat-close"),
    path("ricerca/", views.search, name="search"),
    path("rimborsi/", views.refunds, name="refunds"),
]

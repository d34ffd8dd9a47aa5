from django.urls import path

from support import views

app_name = "support"

urlpatterns = [
    path("", views.index, name="index"),
    path("chat/", views.chat_list, name="chat-list"),
    path("chat/<int:pk>/", views.chat_view, name="chat"),
    path("chat/<int:pk>/messaggi/", views.chat_messages, name="chat-messages"),
    path("chat/<int:pk>/chiudi/", views.chat_close, name="chat-close"),
    path("richiamami/", views.callback, name="callback"),
    path("esperti/", views.expert, name="expert"),
    path("guasto/", views.fault, name="fault"),
    path("diagnosi/", views.diagnosis, name="diagnosis"),
    path("richieste/", views.my_requests, name="requests"),
    path("richieste/<str:reference>/", views.my_request_detail, name="request-detail"),
    path("richieste/<str:reference>/rispondi/", views.request_reply, name="request-reply"),
    path("allegati/<int:pk>/", views.attachment, name="attachment"),
]

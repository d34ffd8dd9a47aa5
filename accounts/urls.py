from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import views
from accounts.access import public, signed_in
from accounts.forms import LoginForm
from area_clienti.views import section_landing

app_name = "accounts"

urlpatterns = [
    path(
        "accedi/",
        public(
            auth_views.LoginView.as_view(form_class=LoginForm, redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("esci/", public(auth_views.LogoutView.as_view()), name="logout"),
    path(
        "password/modifica/",
        signed_in(
            views.PasswordChangeView.as_view(
                success_url=reverse_lazy("accounts:password-change-done")
            )
        ),
        name="password-change",
    ),
    path(
        "password/modificata/",
        signed_in(auth_views.PasswordChangeDoneView.as_view()),
        name="password-change-done",
    ),
    path(
        "password/recupero/",
        public(
            auth_views.PasswordResetView.as_view(
                success_url=reverse_lazy("accounts:password-reset-done"),
                email_template_name="registration/email/password_reset_body.txt",
                html_email_template_name="registration/email/password_reset_body.html",
                subject_template_name="registration/email/password_reset_subject.txt",
            )
        ),
        name="password-reset",
    ),
    path(
        "password/recupero/inviato/",
        public(auth_views.PasswordResetDoneView.as_view()),
        name="password-reset-done",
    ),
    path(
        "password/reimposta/<uidb64>/<token>/",
        public(
            auth_views.PasswordResetConfirmView.as_view(
                success_url=reverse_lazy("accounts:password-reset-complete")
            )
        ),
        name="password-reset-confirm",
    ),
    path(
        "password/reimpostata/",
        public(auth_views.PasswordResetCompleteView.as_view()),
        name="password-reset-complete",
    ),
    path("profilo/", section_landing("company"), name="profile"),
]

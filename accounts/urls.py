from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from accounts import approval_views, views
from accounts.access import public, signed_in
from accounts.forms import LoginForm
from core.ratelimits import rate_limited

app_name = "accounts"

urlpatterns = [
    path(
        "accedi/",
        public(
            rate_limited("login")(
                views.LoginView.as_view(form_class=LoginForm, redirect_authenticated_user=True)
            )
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
            rate_limited("password-reset")(
                auth_views.PasswordResetView.as_view(
                    success_url=reverse_lazy("accounts:password-reset-done"),
                    email_template_name="registration/email/password_reset_body.txt",
                    html_email_template_name="registration/email/password_reset_body.html",
                    subject_template_name="registration/email/password_reset_subject.txt",
                )
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
            views.PasswordResetConfirmView.as_view(
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
    path("password/conferma/", views.confirm_password, name="confirm-password"),
    path("profilo/", views.profile, name="profile"),
    path("profilo/email-aziendale/", views.contact_email, name="contact-email"),
    path("profilo/sede-legale/", views.legal_address, name="legal-address"),
    path("profilo/dipendenti/", views.employees, name="employees"),
    path("profilo/dipendenti/<int:pk>/modifica/", views.employee_edit, name="employee-edit"),
    path("profilo/dipendenti/invita/", views.invite, name="invite"),
    path("profilo/inviti/<int:pk>/reinvia/", views.invitation_resend, name="invitation-resend"),
    path("profilo/inviti/<int:pk>/revoca/", views.invitation_revoke, name="invitation-revoke"),
    path("profilo/registro-attivita/", views.audit_log, name="audit-log"),
    path("profilo/approvazioni/", approval_views.approval_policy, name="approval-policy"),
    path("profilo/dati-personali/", views.personal_data, name="personal-data"),
    path("profilo/dati-personali/email/", views.personal_email, name="personal-email"),
    path("conferma-email/<str:token>/", views.email_confirm, name="email-confirm"),
    path("invito/<str:token>/", views.invitation_accept, name="invitation-accept"),
    path("registrazione/", views.registration, name="registration"),
    path(
        "registrazione/verifica/<int:pk>/<str:token>/",
        views.registration_verify,
        name="registration-verify",
    ),
]

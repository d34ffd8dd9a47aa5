from django.urls import path

from security import draft_views, passkeys, session_views, views

app_name = "security"

urlpatterns = [
    # The second step of signing in, and the person's own second factors.
    path("accedi/verifica/", views.verify, name="verify"),
    path("profilo/sicurezza/", views.overview, name="overview"),
    path("profilo/sicurezza/attiva/", views.enrol, name="enrol"),
    path("profilo/sicurezza/app/", views.totp_setup, name="totp-setup"),
    path("profilo/sicurezza/app/rimuovi/", views.totp_remove, name="totp-remove"),
    path("profilo/sicurezza/codici/", views.recovery_codes, name="recovery-codes"),
    path(
        "profilo/sicurezza/codici/scarica/",
        views.recovery_codes_download,
        name="recovery-codes-download",
    ),
    path(
        "profilo/sicurezza/codici/rigenera/",
        views.recovery_codes_regenerate,
        name="recovery-codes-regenerate",
    ),
    # The company's policy (D7) and an employee's reset (D8), both the LR's.
    path("profilo/verifica-in-due-passaggi/", views.company_policy, name="policy"),
    path(
        "profilo/dipendenti/<int:pk>/verifica/azzera/",
        views.employee_reset,
        name="employee-reset",
    ),
    # passkeys (security/passkeys.py)
    path("accedi/passkey/inizio/", passkeys.sign_in_begin, name="passkey-login-begin"),
    path("accedi/passkey/fine/", passkeys.sign_in_complete, name="passkey-login-complete"),
    path(
        "profilo/sicurezza/passkey/inizio/",
        passkeys.register_begin,
        name="passkey-register-begin",
    ),
    path(
        "profilo/sicurezza/passkey/fine/",
        passkeys.register_complete,
        name="passkey-register-complete",
    ),
    path("profilo/sicurezza/passkey/<int:pk>/rinomina/", passkeys.rename, name="passkey-rename"),
    path("profilo/sicurezza/passkey/<int:pk>/rimuovi/", passkeys.remove, name="passkey-remove"),
    # sessions and the sign-in log (security/session_views.py)
    path("profilo/sicurezza/sessioni/", session_views.session_list, name="sessions"),
    path(
        "profilo/sicurezza/sessioni/<int:pk>/termina/",
        session_views.session_end,
        name="session-end",
    ),
    path(
        "profilo/sicurezza/sessioni/termina-altre/",
        session_views.sessions_end_others,
        name="sessions-end-others",
    ),
    path("profilo/registro-attivita/accessi/", session_views.sign_in_log, name="sign-in-log"),
    # session expiry and form drafts (security/draft_views.py)
    path("sessione/rinnova/", draft_views.session_keepalive, name="session-keepalive"),
    path("sessione/bozza/", draft_views.draft_save, name="draft-save"),
    path("sessione/bozza/scarta/", draft_views.draft_discard, name="draft-discard"),
]

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpResponse

from accounts.access import user_of
from accounts.models import AuditEntry
from accounts.services import audit_record


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        user = user_of(self.request)
        audit_record(
            actor=user,
            action=AuditEntry.Action.PASSWORD_CHANGED,
            company=user.company,
            target=user,
        )
        return response

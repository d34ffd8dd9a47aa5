from django.contrib.auth import views as auth_views
from django.forms import Form
from django.http import HttpResponse

from accounts.models import AuditEntry
from accounts.services import audit_record


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: Form) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        audit_record(
            actor=user,
            action=AuditEntry.Action.PASSWORD_CHANGED,
            company=user.company,
            target=user,
        )
        return response

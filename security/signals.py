"""What happens when someone signs in, fails to, or signs out."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.models import User
from security import drafts, sessions
from security.models import SignInEvent
from security.two_factor import PENDING_SECOND_FACTOR, pending_step_at_sign_in, sign_in_completed


@receiver(user_logged_in, dispatch_uid="security.second_factor_step")
def ask_for_second_factor(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    """Whatever the way in (the sign-in form, the admin's, a passkey), the step a person
    still owes is decided here, once, and kept in the session for the middleware."""
    if request is None or not hasattr(request, "session"):
        return
    step = pending_step_at_sign_in(user)
    if step is None:
        sign_in_completed(request, user)
    else:
        request.session[PENDING_SECOND_FACTOR] = str(step)
    # What the person was typing when their last session expired waits on its page.
    drafts.drafts_remember_at_sign_in(session=request.session, user=user)


# --- Sessions and the sign-in log (security/sessions.py) -----------------------------------


@receiver(user_logged_in, dispatch_uid="security.sessions.signed_in")
def record_sign_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is None or not hasattr(request, "session"):
        return
    sessions.sign_in_record(request=request, user=user)


@receiver(user_login_failed, dispatch_uid="security.sessions.failed")
def record_failed_sign_in(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if getattr(request, "axes_locked_out", False):
        return  # django-axes refused or locked out: recorded as the lockout (below)
    outcome = (
        SignInEvent.Outcome.WRONG_CODE
        if credentials.get("second_factor")
        else SignInEvent.Outcome.WRONG_PASSWORD
    )
    sessions.sign_in_failure_record(
        request=request, username=str(credentials.get("username") or ""), outcome=outcome
    )


@receiver(user_locked_out, dispatch_uid="security.sessions.locked_out")
def record_lockout(
    sender: Any, request: HttpRequest | None, username: str | None, **kwargs: Any
) -> None:
    sessions.sign_in_failure_record(
        request=request, username=username or "", outcome=SignInEvent.Outcome.LOCKED_OUT
    )


@receiver(user_logged_out, dispatch_uid="security.sessions.signed_out")
def record_sign_out(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        sessions.sign_out_record(request=request)

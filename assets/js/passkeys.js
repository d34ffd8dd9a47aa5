// Passkeys (WebAuthn) against django-otp-webauthn's JSON endpoints (security/passkeys.py).
// Forms marked data-passkey="register" or "sign-in" (templates/security/partials/passkey_*)
// carry the endpoints' URLs and their messages, already translated, as data-* attributes,
// and the CSRF token in their hidden field: no inline script, no JavaScript catalogue.
(() => {
  "use strict";

  if (!window.PublicKeyCredential || !navigator.credentials) {
    return; // the forms stay hidden and the "not supported" notes shown
  }

  const toBytes = (text) =>
    Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));
  const toText = (buffer) =>
    btoa(String.fromCharCode(...new Uint8Array(buffer)))
      .replace(/\+/g, "-")
      .replace(/\//g, "_")
      .replace(/=+$/, "");
  const descriptors = (list) => (list || []).map((item) => ({ ...item, id: toBytes(item.id) }));

  function creationOptions(json) {
    return {
      ...json,
      challenge: toBytes(json.challenge),
      user: { ...json.user, id: toBytes(json.user.id) },
      excludeCredentials: descriptors(json.excludeCredentials),
    };
  }

  function requestOptions(json) {
    return {
      ...json,
      challenge: toBytes(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    };
  }

  // The credential as the server reads it (WebAuthn's RegistrationResponseJSON and
  // AuthenticationResponseJSON).
  function credentialJSON(credential) {
    const answer = credential.response;
    const response = { clientDataJSON: toText(answer.clientDataJSON) };
    if (answer.attestationObject) {
      response.attestationObject = toText(answer.attestationObject);
      response.transports = answer.getTransports ? answer.getTransports() : [];
    } else {
      response.authenticatorData = toText(answer.authenticatorData);
      response.signature = toText(answer.signature);
      if (answer.userHandle) {
        response.userHandle = toText(answer.userHandle);
      }
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      response,
      authenticatorAttachment: credential.authenticatorAttachment,
      clientExtensionResults: credential.getClientExtensionResults(),
    };
  }

  async function post(form, url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": form.elements.namedItem("csrfmiddlewaretoken").value,
      },
      body: JSON.stringify(body || {}),
    });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) {
      const failure = new Error(data.detail || String(response.status));
      failure.code = data.code || "server-error";
      throw failure;
    }
    return data;
  }

  // Where to go after signing in: the page the person was sent to the sign-in from.
  function withNext(form, url) {
    const next = form.dataset.next || new URLSearchParams(window.location.search).get("next");
    return next ? `${url}?${new URLSearchParams({ next })}` : url;
  }

  async function ceremony(form) {
    const options = await post(form, form.dataset.beginUrl);
    if (form.dataset.passkey === "register") {
      const credential = await navigator.credentials.create({
        publicKey: creationOptions(options),
      });
      const name = form.elements.namedItem("name").value;
      return post(form, form.dataset.completeUrl, { ...credentialJSON(credential), name });
    }
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    return post(form, withNext(form, form.dataset.completeUrl), credentialJSON(credential));
  }

  function failureMessage(form, error) {
    // The person closed the browser's window, or no authenticator answered in time.
    if (error.name === "NotAllowedError" || error.name === "AbortError") {
      return form.dataset.msgCancelled;
    }
    if (error.name === "InvalidStateError") {
      return form.dataset.msgDuplicate || form.dataset.msgFailed;
    }
    if (error.code === "credential_not_found" || error.code === "credential_user_mismatch") {
      return form.dataset.msgUnknown || form.dataset.msgFailed;
    }
    return form.dataset.msgFailed;
  }

  for (const form of document.querySelectorAll("form[data-passkey]")) {
    form.hidden = false;
    const box = form.closest("[data-passkey-box]");
    for (const note of box ? box.querySelectorAll("[data-passkey-unsupported]") : []) {
      note.hidden = true;
    }
    const status = form.querySelector("[role=status]");
    let busy = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (busy) {
        return;
      }
      busy = true;
      status.textContent = form.dataset.msgWorking;
      try {
        const result = await ceremony(form);
        status.textContent = form.dataset.msgDone;
        window.location.assign(result.redirect_url);
      } catch (error) {
        status.textContent = failureMessage(form, error);
        busy = false;
      }
    });
  }
})();

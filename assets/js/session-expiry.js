/* The session's idle expiry on signed-in pages (issue 16, item 5; the dialog is
   templates/security/partials/session_expiry.html).

   Shortly before the session expires a modal dialog offers to stay signed in ("Resta
   collegato" or Esc renew the session; "Esci" signs out). When it opens, what the person
   typed in the page's forms is kept on the server as a draft (never passwords, hidden
   fields, card data or codes; the server filters again); once the time is up the dialog
   leads to the sign-in, and the page opened again afterwards gets its draft back.

   The clock is checked every second rather than trusting one long timer: a laptop that
   slept wakes up to the right state. A page hidden after typing (another tab, the lid
   closing) keeps its draft too, dropped when the person is back before the expiry. Another tab's page or "Resta collegato" renews the
   session for every tab: they learn it through localStorage. */
(function () {
  "use strict";

  var dialog = document.getElementById("session-expiry");
  if (!dialog) {
    return;
  }
  var RENEWED_KEY = "acb-session-renewed";
  var data = dialog.dataset;
  var path = data.path;
  var deny = new RegExp(data.deny, "i");
  var token = dialog.querySelector("input[name=csrfmiddlewaretoken]").value;
  var warning = dialog.querySelector(".session-expiry-warning");
  var expired = dialog.querySelector(".session-expiry-expired");
  var left = dialog.querySelector(".session-expiry-left");
  var stayButton = dialog.querySelector(".session-expiry-stay");
  var logoutForm = dialog.querySelector(".session-expiry-logout");

  var renewedAt = Date.now();
  var state = "idle"; // "idle", "warning" or "expired"
  var typed = false; // the person changed a form of this page
  var saved = false; // a draft of this page is on the server

  function deadline() {
    return renewedAt + Number(data.seconds) * 1000;
  }

  /* Forms worth a draft: those that send something (POST), not the header's (sign out,
     language) nor this dialog's, nor any marked data-no-draft. */
  function draftForms() {
    return Array.prototype.filter.call(document.forms, function (form) {
      return form.method === "post" && !form.closest("dialog, .site-header, [data-no-draft]");
    });
  }

  function kept(field) {
    var type = (field.type || "").toLowerCase();
    var autocomplete = field.getAttribute("autocomplete") || "";
    return Boolean(field.name) &&
      !field.disabled &&
      ["password", "hidden", "file", "submit", "button", "reset", "image"].indexOf(type) < 0 &&
      !/(^|\s)(cc-|one-time-code)/.test(autocomplete) &&
      !field.closest("[data-no-draft]") &&
      !deny.test(field.name);
  }

  function keptFields(form) {
    return Array.prototype.filter.call(form.elements, kept);
  }

  function collect() {
    var fields = {};
    draftForms().forEach(function (form) {
      keptFields(form).forEach(function (field) {
        var name = field.name;
        if (field.type === "checkbox") {
          fields[name] = Array.isArray(fields[name]) ? fields[name] : [];
          if (field.checked) {
            fields[name].push(field.value);
          }
        } else if (field.type === "radio") {
          if (field.checked) {
            fields[name] = field.value;
          }
        } else if (field.type === "select-multiple") {
          fields[name] = Array.prototype.filter.call(field.options, function (option) {
            return option.selected;
          }).map(function (option) {
            return option.value;
          });
        } else if (!(name in fields)) {
          fields[name] = field.value;
        }
      });
    });
    return fields;
  }

  /* A POST to one of the expiry's endpoints; resolves to the JSON answer, or null when the
     session is gone (the sign-in redirect is not followed) or anything else failed. */
  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: {"Content-Type": "application/json", "X-CSRFToken": token},
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.ok ? response.json() : null;
    }).catch(function () {
      return null;
    });
  }

  /* One request at a time, in order: a draft dropped must not be saved again by a save
     sent just before it. */
  var queue = Promise.resolve(null);
  function send(url, body) {
    queue = queue.then(function () {
      return post(url, body);
    });
    return queue;
  }

  function saveDraft() {
    if (typed) {
      saved = true; // from now on a draft may be on the server
      send(data.draftUrl, {path: path, fields: collect()});
    }
  }

  function discardDraft() {
    if (!saved) {
      return Promise.resolve(null);
    }
    saved = false;
    return send(data.discardUrl, {path: path});
  }

  function clock(time) {
    return new Date(time).toLocaleTimeString(document.documentElement.lang || undefined, {
      hour: "2-digit",
      minute: "2-digit"
    });
  }

  function warn() {
    state = "warning";
    dialog.querySelector(".session-expiry-time").textContent = clock(deadline());
    left.textContent = "";
    if (!dialog.open) {
      dialog.showModal();
    }
    stayButton.focus();
    saveDraft();
  }

  function expire() {
    state = "expired";
    warning.hidden = true;
    expired.hidden = false;
    dialog.setAttribute("aria-labelledby", "session-expiry-expired-title");
    dialog.setAttribute("aria-describedby", "session-expiry-expired-text");
    if (!dialog.open) {
      dialog.showModal();
    }
    expired.querySelector("a").focus();
  }

  function renewed(at) {
    renewedAt = Math.max(renewedAt, at);
    if (state === "warning") {
      state = "idle";
      dialog.close();
    }
  }

  function tick() {
    if (state === "expired") {
      return;
    }
    var remaining = deadline() - Date.now();
    if (remaining <= 0) {
      expire();
    } else if (remaining <= Number(data.warningSeconds) * 1000) {
      if (state === "idle") {
        warn();
      } else if (remaining <= 60000 && !left.textContent) {
        // Said once, politely, not counted down every second.
        left.textContent = left.dataset.lastMinute;
      }
    }
  }

  function stay() {
    send(data.keepaliveUrl, {path: saved ? path : ""}).then(function (answer) {
      if (!answer) {
        expire();
        return;
      }
      saved = false;
      var now = Date.now();
      renewed(now);
      broadcast(now);
    });
  }

  function broadcast(at) {
    try {
      localStorage.setItem(RENEWED_KEY, String(at));
    } catch (error) {
      // Storage refused (private browsing): the other tabs keep their own clocks.
    }
  }

  stayButton.addEventListener("click", stay);
  dialog.addEventListener("cancel", function (event) {
    // Esc: while the session lasts it means "I am here"; after, there is only the way back in.
    event.preventDefault();
    if (state === "warning") {
      stay();
    }
  });
  logoutForm.addEventListener("submit", function (event) {
    event.preventDefault();
    discardDraft().then(function () {
      logoutForm.submit();
    });
  });
  window.addEventListener("storage", function (event) {
    if (event.key === RENEWED_KEY && event.newValue && state !== "expired") {
      var wasWarning = state === "warning";
      renewed(Number(event.newValue));
      if (wasWarning) {
        discardDraft();
      }
    }
  });
  document.addEventListener("input", function (event) {
    if (event.target.form && draftForms().indexOf(event.target.form) >= 0) {
      typed = true;
    }
  });
  // This page renewed the session (a page of the area counts as activity).
  broadcast(renewedAt);
  window.setInterval(tick, 1000);
  document.addEventListener("visibilitychange", function () {
    tick();
    if (state !== "idle") {
      return;
    }
    if (document.hidden && !saved) {
      // The lid may close now and the session expire during the sleep: keep the draft.
      saveDraft();
    } else if (!document.hidden) {
      discardDraft(); // back, and the session still on: the page has it all
    }
  });

  /* After signing in again: the draft of this page, given once by the server. */
  var draftData = document.getElementById("form-draft");
  if (!draftData) {
    return;
  }
  var draft = JSON.parse(draftData.textContent).fields || {};
  var restoredForm = null;
  draftForms().forEach(function (form) {
    keptFields(form).forEach(function (field) {
      if (!(field.name in draft)) {
        return;
      }
      var value = draft[field.name];
      if (field.type === "checkbox") {
        field.checked = Array.isArray(value) && value.indexOf(field.value) >= 0;
      } else if (field.type === "radio") {
        field.checked = field.value === value;
      } else if (field.type === "select-multiple") {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = Array.isArray(value) && value.indexOf(option.value) >= 0;
        });
      } else if (typeof value === "string") {
        field.value = value;
      } else {
        return;
      }
      field.dispatchEvent(new Event("change", {bubbles: true}));
      restoredForm = restoredForm || form;
    });
  });
  if (restoredForm) {
    typed = true;
    var notice = document.getElementById("draft-restored");
    restoredForm.parentNode.insertBefore(notice, restoredForm);
    // Filled in after the move, so that screen readers announce it.
    window.setTimeout(function () {
      notice.className = "alert alert-info";
      notice.textContent = notice.dataset.text;
    }, 300);
  }
}());

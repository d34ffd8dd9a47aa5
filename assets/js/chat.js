// The chat page: after a message is sent through htmx the form clears and keeps the focus,
// and the log scrolls to the newest message. Without JavaScript the form posts normally.
(function () {
  "use strict";
  function scrollLog() {
    var log = document.getElementById("chat-log");
    if (log) {
      log.scrollTop = log.scrollHeight;
    }
  }
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.matches && form.matches(".chat-form") && event.detail.successful) {
      form.reset();
      form.querySelector("textarea").focus();
    }
  });
  document.body.addEventListener("htmx:oobAfterSwap", scrollLog);
  scrollLog();
})();

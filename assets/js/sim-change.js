// Shows only the parts of the SIM change form that apply: the police report for a theft or
// loss, the e-mail for an eSIM, the delivery address for a physical SIM. Without JavaScript
// every part stays visible and the server checks what is needed.
(function () {
  "use strict";
  var form = document.querySelector(".sim-change-form");
  if (!form) {
    return;
  }
  function update() {
    var reason = form.elements.reason ? form.elements.reason.value : "";
    var kind = form.elements.sim_kind.value;
    form.querySelectorAll("[data-when-reason]").forEach(function (part) {
      part.hidden = part.dataset.whenReason !== reason;
    });
    form.querySelectorAll("[data-when-kind]").forEach(function (part) {
      part.hidden = part.dataset.whenKind !== kind;
    });
  }
  form.addEventListener("change", update);
  update();
})();

// Shows a SIM's portability fields only when "Porta un numero esistente" is ticked. Without
// JavaScript every field stays visible and the server ignores them for a SIM not ticked.
(function () {
  "use strict";
  var form = document.querySelector(".sim-order-form");
  if (!form) {
    return;
  }
  function update() {
    form.querySelectorAll(".sim-row").forEach(function (row) {
      var toggle = row.querySelector("input[type=checkbox][name$='-port']");
      var fields = row.querySelector("[data-port-fields]");
      if (toggle && fields) {
        fields.hidden = !toggle.checked;
      }
    });
  }
  form.addEventListener("change", update);
  update();
})();

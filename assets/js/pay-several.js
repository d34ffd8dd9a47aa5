// Shows the sum of the invoices ticked to pay together, as they are ticked. Without
// JavaScript the button still works: the next page lists them with the total, computed
// by the server, before anything is paid.
(function () {
  "use strict";
  var form = document.getElementById("pay-several");
  if (!form) {
    return;
  }
  var sum = form.querySelector(".pay-several-sum");
  var boxes = document.querySelectorAll('input[type="checkbox"][form="pay-several"]');
  // In the page's language, grouped like the server writes amounts ("1.595,62 €"): Italian
  // leaves the thousands unmarked by default.
  var language = document.documentElement.lang === "en" ? "en-GB" : "it-IT";
  var euro = new Intl.NumberFormat(language, {
    style: "currency",
    currency: "EUR",
    useGrouping: "always",
  });
  function cents(value) {
    var parts = String(value).split(".");
    var decimals = ((parts[1] || "") + "00").slice(0, 2);
    var sign = parts[0].charAt(0) === "-" ? -1 : 1;
    return parseInt(parts[0], 10) * 100 + sign * parseInt(decimals, 10);
  }
  function update() {
    var count = 0;
    var total = 0;
    boxes.forEach(function (box) {
      if (box.checked) {
        count += 1;
        total += cents(box.dataset.amount);
      }
    });
    if (count === 0) {
      sum.textContent = sum.dataset.none;
    } else {
      // Both forms of one plural message, rendered by the server with "{n}" for the
      // number (Italian and English: one form for 1, the other for any other count).
      var form = count === 1 ? sum.dataset.one : sum.dataset.many;
      sum.textContent = form.replace("{n}", String(count)) + " " + euro.format(total / 100);
    }
  }
  boxes.forEach(function (box) {
    box.addEventListener("change", update);
  });
  update();
})();

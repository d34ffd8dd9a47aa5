// Draws the cost centres' bar chart (the month and the one before) from the JSON the page
// embeds; the table under it carries the same numbers for screen readers and for browsers
// without JavaScript.
(function () {
  "use strict";
  var source = document.getElementById("cost-centre-chart-data");
  var canvas = document.getElementById("cost-centre-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.previous_label, data: data.previous, backgroundColor: "#8a9bb8" },
        { label: data.current_label, data: data.current, backgroundColor: "#0b3a82" }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        y: { beginAtZero: true, title: { display: true, text: data.axis_label } }
      }
    }
  });
})();

// Draws the daily usage chart from the JSON the page embeds; the table under it carries the
// same numbers for screen readers and for browsers without JavaScript.
(function () {
  "use strict";
  var source = document.getElementById("usage-chart-data");
  var canvas = document.getElementById("usage-chart");
  if (!source || !canvas || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: [
        { label: data.label_data, data: data.data_mb, backgroundColor: "#0b3a82", yAxisID: "y" },
        { label: data.label_voice, data: data.voice_minutes, backgroundColor: "#c2570c", yAxisID: "y1" }
      ]
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        y: { beginAtZero: true, position: "left", title: { display: true, text: data.label_data } },
        y1: { beginAtZero: true, position: "right", grid: { drawOnChartArea: false },
              title: { display: true, text: data.label_voice } }
      }
    }
  });
})();

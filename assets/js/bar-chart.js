// Draws each bar chart of the page: a <canvas data-chart="ID"> and the JSON element ID (the
// labels; each dataset's label, values, colour and axis; each axis's title, the first on the
// left). The table under a chart carries the same numbers for screen readers and for
// browsers without JavaScript.
(function () {
  "use strict";
  if (typeof Chart === "undefined") {
    return;
  }
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) {
      return;
    }
    var chart = JSON.parse(source.textContent);
    var scales = {};
    chart.axes.forEach(function (axis, index) {
      scales[axis.id] = {
        beginAtZero: true,
        position: index ? "right" : "left",
        grid: { drawOnChartArea: index === 0 },
        title: { display: true, text: axis.title }
      };
    });
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: chart.labels,
        datasets: chart.datasets.map(function (set) {
          return { label: set.label, data: set.data, backgroundColor: set.color, yAxisID: set.axis };
        })
      },
      options: { responsive: true, maintainAspectRatio: false, animation: false, scales: scales }
    });
  });
})();

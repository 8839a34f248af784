// Charts of the sales report. The data comes from the page (json_script "report-charts"); the
// tables under each chart show the same figures, so the page reads without JavaScript too.
document.addEventListener("DOMContentLoaded", () => {
  const source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  const money = new Intl.NumberFormat("zh-CN", { style: "currency", currency: "CNY", maximumFractionDigits: 0 });
  const common = { responsive: true, maintainAspectRatio: false, animation: false };

  const trend = document.getElementById("chart-trend");
  if (trend) {
    new Chart(trend, {
      type: "line",
      data: {
        labels: data.trend.labels,
        datasets: [{ label: data.trend.label, data: data.trend.amounts, borderColor: "#2563eb", backgroundColor: "rgba(37, 99, 235, 0.12)", fill: true, tension: 0.25 }],
      },
      options: { ...common, plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { callback: (value) => money.format(value) } } } },
    });
  }
  const sources = document.getElementById("chart-sources");
  if (sources) {
    new Chart(sources, {
      type: "bar",
      data: {
        labels: data.sources.labels,
        datasets: [
          { label: data.sources.leadsLabel, data: data.sources.leads, backgroundColor: "#93c5fd" },
          { label: data.sources.signedLabel, data: data.sources.signed, backgroundColor: "#2563eb" },
        ],
      },
      options: { ...common, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
  const funnel = document.getElementById("chart-funnel");
  if (funnel) {
    new Chart(funnel, {
      type: "bar",
      data: { labels: data.funnel.labels, datasets: [{ data: data.funnel.counts, backgroundColor: "#2563eb" }] },
      options: { ...common, indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
    });
  }
});

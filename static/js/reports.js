// Report pages (templates/reports/report.html) and the home page's key numbers: the
// chart, numbers in the viewer's locale, the custom-range toggle, and the live refresh:
// when report.<area> says the numbers moved, the region showing them is re-fetched.
(function () {
  "use strict";
  const REFRESH_MS = 3000;
  // Okabe–Ito: told apart by people with every common colour-vision deficiency.
  const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];
  const locale = document.documentElement.lang && navigator.language.startsWith(document.documentElement.lang)
    ? navigator.language
    : navigator.language || undefined;
  let chart = null;
  let drawnFrom = null; // the #report-chart-data element the chart was drawn from

  function formatter(kind, currency) {
    switch (kind) {
      case "money":
        return currency
          ? new Intl.NumberFormat(locale, { style: "currency", currency, maximumFractionDigits: 0 })
          : new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
      case "percent":
        return { format: (v) => new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }).format(v / 100) };
      case "hours":
        return { format: (v) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(v)} h` };
      case "days":
        return { format: (v) => `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(v)} d` };
      default:
        return new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    }
  }

  function localize(root) {
    for (const el of root.querySelectorAll("data[data-kind]")) {
      const { kind, currency } = el.dataset;
      if (kind === "date" || kind === "month") {
        const day = new Date(`${el.value}T00:00:00`);
        if (Number.isNaN(day.getTime())) continue;
        const options = kind === "month" ? { year: "numeric", month: "short" } : { dateStyle: "medium" };
        el.textContent = new Intl.DateTimeFormat(locale, options).format(day);
      } else if (el.value !== "") {
        el.textContent = formatter(kind, currency).format(Number(el.value));
      }
    }
  }

  // An axis label in the viewer's words: "Mar 26" for a month, "Mar 2" for a day.
  function axisLabel(label, kind) {
    const day = /^\d{4}-\d{2}-\d{2}$/.test(label) ? new Date(`${label}T00:00:00`) : null;
    if (!day || (kind !== "month" && kind !== "date")) return label;
    const options = kind === "month" ? { year: "2-digit", month: "short" } : { month: "short", day: "numeric" };
    return new Intl.DateTimeFormat(locale, options).format(day);
  }

  function draw() {
    const source = document.getElementById("report-chart-data");
    const canvas = document.getElementById("report-chart");
    if (chart) { chart.destroy(); chart = null; }
    drawnFrom = source;
    if (!source || !canvas || !window.Chart) return;
    const data = JSON.parse(source.textContent);
    const format = formatter(data.valueKind, data.currency);
    const round = data.kind === "doughnut";
    const horizontal = data.kind === "hbar";
    const stacked = data.series.some((s) => s.stack);
    chart = new window.Chart(canvas, {
      type: round ? "doughnut" : data.kind === "line" ? "line" : "bar",
      data: {
        labels: data.labels.map((label) => axisLabel(label, data.labelKind)),
        datasets: data.series.map((s, i) => ({
          label: s.label,
          data: s.values,
          stack: round ? undefined : s.stack || `s${i}`, // a doughnut with a stack fails
          backgroundColor: round ? data.labels.map((_, j) => PALETTE[j % PALETTE.length]) : PALETTE[i % PALETTE.length],
          borderColor: round ? "#fff" : PALETTE[i % PALETTE.length],
          tension: 0.25,
        })),
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: { duration: 250 },
        plugins: {
          legend: { display: round || data.series.length > 1, position: "bottom" },
          tooltip: { callbacks: { label: (ctx) => `${ctx.dataset.label}: ${format.format(ctx.parsed[horizontal ? "x" : "y"] ?? ctx.parsed)}` } },
        },
        scales: round ? {} : {
          [horizontal ? "x" : "y"]: { beginAtZero: true, stacked, ticks: { callback: (v) => format.format(v) } },
          [horizontal ? "y" : "x"]: { stacked },
        },
      },
    });
  }

  // Live regions: an element with data-refresh-topics is re-fetched (from data-refresh-url,
  // or the page's own address) when an event arrives on one of those topics, at most once
  // every REFRESH_MS, the first soon after the change.
  const timers = new Map();
  const lastRefresh = new Map();

  function refresh(id) {
    timers.delete(id);
    lastRefresh.set(id, Date.now());
    const region = document.getElementById(id);
    if (!region) return;
    const url = region.dataset.refreshUrl || location.pathname + location.search;
    htmx.ajax("GET", url, { target: region, swap: "outerHTML" });
  }

  function refreshSoon(region) {
    if (timers.has(region.id)) return;
    const wait = Math.max(300, (lastRefresh.get(region.id) || 0) + REFRESH_MS - Date.now());
    timers.set(region.id, setTimeout(() => refresh(region.id), wait));
  }

  function regionsFollowing(topic) {
    return [...document.querySelectorAll("[data-refresh-topics][id]")].filter((el) =>
      el.dataset.refreshTopics.split(" ").includes(topic),
    );
  }

  document.addEventListener("live:event", (e) => regionsFollowing(e.detail.topic).forEach(refreshSoon));
  document.addEventListener("live:resync", (e) => {
    const regions = regionsFollowing(e.detail.topic);
    if (!regions.length) return;
    e.preventDefault();
    regions.forEach(refreshSoon);
  });
  document.addEventListener("change", (e) => {
    if (!e.target.matches("[data-period]")) return;
    const range = document.querySelector("[data-custom-range]");
    if (range) range.hidden = e.target.value !== "custom";
  });
  // After any swap: localize what came in; redraw when the chart's data is a new element.
  document.addEventListener("htmx:afterSettle", () => {
    localize(document);
    if (document.getElementById("report-chart-data") !== drawnFrom) draw();
  });
  function start() { localize(document); draw(); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

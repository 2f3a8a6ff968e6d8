// A space's Insights tab: draws the series (active people as a line, posts and comments as
// bars) from the JSON data island. The figures themselves are on the page already, drawn on
// the server; without JavaScript only the chart is missing. Withheld points are gaps.
(function () {
  "use strict";
  const island = document.getElementById("insights-data");
  const box = document.getElementById("insights-chart");
  if (!island || !box || !window.echarts) return;
  const data = JSON.parse(island.textContent);
  const points = data.series.points;
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const chart = window.echarts.init(box, null, { renderer: "canvas" });
  chart.setOption({
    animation: !reduceMotion,
    textStyle: { fontFamily: "system-ui, sans-serif" },
    tooltip: { trigger: "axis", renderMode: "richText" }, // on the canvas: no inline styles
    legend: { bottom: 0 },
    grid: { left: 48, right: 16, top: 16, bottom: 56 },
    xAxis: { type: "category", data: points.map((p) => p.period) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "Posts", type: "bar", color: "#35618f", data: points.map((p) => p.posts) },
      { name: "Comments", type: "bar", color: "#8fb3d9", data: points.map((p) => p.comments) },
      { name: "Active people", type: "line", color: "#0b6e75", connectNulls: false,
        data: points.map((p) => p.active_people) },
    ],
  });
  box.dataset.drawn = "true";
  window.addEventListener("resize", () => chart.resize());
})();

// The tier reports' charts: ECharts built from the figures the page passes in json_script
// elements (each chart names its element in data-tier-chart). The same figures are in the
// table under each chart. Choosing another month or branch shows the page for it at once.
(function () {
  "use strict";

  const locale = document.documentElement.lang || undefined;
  const counts = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
  const money = new Intl.NumberFormat(locale, {
    minimumFractionDigits: 2,
    maximumFractionDigits: 2,
  });

  const builders = {
    // Customers per tier (bars, left axis) and their contribution (bars, right axis).
    distribution(spec) {
      return {
        tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
        legend: { top: 0 },
        grid: { left: 16, right: 16, bottom: 8, top: 40, containLabel: true },
        xAxis: { type: "category", data: spec.categories },
        yAxis: spec.series.map((series) => ({
          type: "value",
          minInterval: series.money ? undefined : 1,
          axisLabel: { formatter: (value) => counts.format(value) },
        })),
        series: spec.series.map((series, index) => ({
          name: series.name,
          type: "bar",
          yAxisIndex: index,
          tooltip: {
            valueFormatter: (value) => (series.money ? money : counts).format(value),
          },
          data: series.values.map(Number),
        })),
      };
    },
    // Customers from each tier of the month before (rows) to each tier of the month.
    heatmap(spec) {
      const cells = spec.cells.map(([column, row, value]) => [column, row, Number(value)]);
      const largest = Math.max(1, ...cells.map((cell) => cell[2]));
      return {
        tooltip: {
          formatter: (item) =>
            `${spec.rows[item.value[1]]} → ${spec.columns[item.value[0]]}: ` +
            counts.format(item.value[2]),
        },
        grid: { left: 16, right: 16, bottom: 84, top: 40, containLabel: true },
        xAxis: {
          type: "category",
          data: spec.columns,
          name: spec.xName,
          nameLocation: "middle",
          nameGap: 28,
          splitArea: { show: true },
        },
        yAxis: {
          type: "category",
          data: spec.rows,
          name: spec.yName,
          // The axis runs downwards: its start is the top, above the first row.
          nameLocation: "start",
          inverse: true,
          splitArea: { show: true },
        },
        visualMap: {
          min: 0,
          max: largest,
          calculable: true,
          orient: "horizontal",
          left: "center",
          bottom: 0,
        },
        series: [
          {
            type: "heatmap",
            data: cells,
            label: { show: true, formatter: (item) => counts.format(item.value[2]) },
            emphasis: { itemStyle: { shadowBlur: 6 } },
          },
        ],
      };
    },
  };

  const charts = [];

  function draw(element) {
    const source = document.getElementById(element.dataset.tierChart);
    if (!source || typeof echarts === "undefined") {
      return;
    }
    const spec = JSON.parse(source.textContent);
    const build = spec && builders[spec.type];
    if (!build) {
      return;
    }
    const chart = echarts.init(element);
    chart.setOption(build(spec));
    charts.push(chart);
  }

  function start() {
    document.querySelectorAll("[data-tier-chart]").forEach(draw);
    window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
    document.querySelectorAll("[data-tier-report-filter] select").forEach((select) => {
      select.addEventListener("change", () => select.form.requestSubmit());
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

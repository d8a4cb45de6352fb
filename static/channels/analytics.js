// The channel analytics page: ECharts charts built from the figures the page passes in
// json_script elements (each chart names its element in data-analytics-chart). The same
// figures are in the tables under the charts. Choosing another branch or grouping shows
// the page for it at once; dates are applied with the form's button.
(function () {
  "use strict";

  const locale = document.documentElement.lang || undefined;
  const formats = {};

  function formatter(decimals) {
    if (!formats[decimals]) {
      formats[decimals] = new Intl.NumberFormat(locale, {
        minimumFractionDigits: decimals,
        maximumFractionDigits: decimals,
      });
    }
    return formats[decimals];
  }

  function toNumber(value) {
    return value === null || value === undefined ? null : Number(value);
  }

  function valueFormatter(spec) {
    if (spec.percent) {
      const format = formatter(1);
      return (value) => (value === null || value === undefined ? "—" : `${format.format(value)}%`);
    }
    const format = formatter(spec.decimals || 0);
    const unit = spec.unit ? ` ${spec.unit}` : "";
    return (value) => (value === null || value === undefined ? "—" : format.format(value) + unit);
  }

  function axisFormatter(spec) {
    if (spec.percent || spec.type === "share") {
      return (value) => `${value}%`;
    }
    const format = formatter(0);
    return (value) => format.format(value);
  }

  // A value axis: counts have no fractional ticks, percentages end at 100.
  function valueAxis(spec, extra) {
    return Object.assign(
      {
        type: "value",
        minInterval: spec.decimals || spec.percent ? undefined : 1,
        max: spec.percent ? 100 : undefined,
        axisLabel: { formatter: axisFormatter(spec) },
      },
      extra || {}
    );
  }

  const builders = {
    // Volume per period, one stacked bar per channel.
    stacked(spec) {
      return {
        tooltip: { trigger: "axis", valueFormatter: valueFormatter(spec) },
        legend: { top: 0, type: "scroll" },
        grid: { left: 16, right: 16, bottom: 8, top: 40, containLabel: true },
        xAxis: { type: "category", data: spec.categories },
        yAxis: valueAxis(spec),
        series: spec.series.map((series) => ({
          name: series.name,
          type: "bar",
          stack: "total",
          emphasis: { focus: "series" },
          data: series.values.map(toNumber),
        })),
      };
    },
    // Shares of interactions per channel, one 100 % bar per branch or tier.
    share(spec) {
      return {
        tooltip: {
          trigger: "axis",
          axisPointer: { type: "shadow" },
          valueFormatter: valueFormatter({ percent: true }),
        },
        legend: { top: 0, type: "scroll" },
        grid: { left: 16, right: 24, bottom: 8, top: 40, containLabel: true },
        xAxis: valueAxis({ percent: true }),
        yAxis: { type: "category", data: spec.categories, inverse: true },
        series: spec.series.map((series) => ({
          name: series.name,
          type: "bar",
          stack: "share",
          emphasis: { focus: "series" },
          data: series.values.map(toNumber),
        })),
      };
    },
    line(spec) {
      return {
        tooltip: { trigger: "axis", valueFormatter: valueFormatter(spec) },
        grid: { left: 16, right: 16, bottom: 8, top: 24, containLabel: true },
        xAxis: { type: "category", data: spec.categories, boundaryGap: false },
        yAxis: valueAxis(spec, { min: 0 }),
        series: spec.series.map((series) => ({
          name: series.name,
          type: "line",
          // Days without transactions have no ratio: show each point, join across gaps.
          showAllSymbol: true,
          symbolSize: 6,
          connectNulls: true,
          areaStyle: { opacity: 0.12 },
          data: series.values.map(toNumber),
        })),
      };
    },
    bar(spec) {
      return {
        tooltip: { trigger: "axis", valueFormatter: valueFormatter(spec) },
        grid: { left: 16, right: 16, bottom: 8, top: 24, containLabel: true },
        xAxis: { type: "category", data: spec.categories, axisLabel: { interval: 0, rotate: 30 } },
        yAxis: valueAxis(spec),
        series: spec.series.map((series) => ({
          name: series.name,
          type: "bar",
          data: series.values.map(toNumber),
        })),
      };
    },
    // Outlets, the busiest on top.
    ranking(spec) {
      return {
        tooltip: {
          trigger: "axis",
          axisPointer: { type: "shadow" },
          valueFormatter: valueFormatter(spec),
        },
        grid: { left: 16, right: 24, bottom: 8, top: 8, containLabel: true },
        xAxis: valueAxis(spec),
        yAxis: { type: "category", data: spec.categories, inverse: true },
        series: spec.series.map((series) => ({
          name: series.name,
          type: "bar",
          data: series.values.map(toNumber),
        })),
      };
    },
  };

  const charts = [];

  function draw(element) {
    const source = document.getElementById(element.dataset.analyticsChart);
    if (!source || typeof echarts === "undefined") {
      return;
    }
    const spec = JSON.parse(source.textContent);
    const build = builders[spec.type];
    if (!build) {
      return;
    }
    const chart = echarts.init(element);
    chart.setOption(build(spec));
    charts.push(chart);
  }

  function start() {
    document.querySelectorAll("[data-analytics-chart]").forEach(draw);
    window.addEventListener("resize", () => charts.forEach((chart) => chart.resize()));
    // A new branch or grouping shows its page at once (dates wait for the button, so that
    // typing a date does not reload the page at every digit).
    document.querySelectorAll("[data-analytics-filter] select").forEach((select) => {
      select.addEventListener("change", () => select.form.requestSubmit());
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();

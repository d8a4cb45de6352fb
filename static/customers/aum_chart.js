// The AUM trend panel of the customer page: a line chart of the last 24 monthly balances.
// The figures come from a json_script element named by the chart's data-aum-chart attribute.
(function () {
  "use strict";

  function drawAumChart(element) {
    const source = document.getElementById(element.dataset.aumChart);
    if (!source || typeof echarts === "undefined") {
      return;
    }
    const trend = JSON.parse(source.textContent);
    const chart = echarts.init(element);
    const grouped = new Intl.NumberFormat(document.documentElement.lang || undefined, {
      maximumFractionDigits: 0,
    });
    chart.setOption({
      tooltip: {
        trigger: "axis",
        valueFormatter: (value) => `${grouped.format(value)} ${trend.unit}`,
      },
      legend: { top: 0 },
      grid: { left: 16, right: 16, bottom: 8, top: 40, containLabel: true },
      xAxis: { type: "category", data: trend.months, boundaryGap: false },
      yAxis: {
        type: "value",
        axisLabel: { formatter: (value) => grouped.format(value) },
      },
      series: trend.series.map((series, index) => ({
        name: series.name,
        type: "line",
        smooth: true,
        showSymbol: false,
        areaStyle: index === 0 ? { opacity: 0.12 } : undefined,
        lineStyle: index === 0 ? { width: 3 } : { width: 1.5 },
        data: series.values.map(Number),
      })),
    });
    window.addEventListener("resize", () => chart.resize());
  }

  function drawAll() {
    document.querySelectorAll("[data-aum-chart]").forEach(drawAumChart);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();

// Draw each chart of the page with ECharts from its inline option (retro.echart), then hide its static image.
// Without ECharts or a script, or in print, the image stays. Tooltips read the texts the report formatted.
(function () {
  if (!window.echarts) return;
  var live = [];
  function near(values, labels, v) {
    for (var i = 0; i < values.length; i++) {
      if (Math.abs(values[i] - v) <= 1e-9 * Math.max(1, Math.abs(v))) return labels[i];
    }
    return "";
  }
  function axisLabels(axes) {
    [].concat(axes || []).forEach(function (axis) {
      var l = axis.axisLabel || {};
      if (l.retroDate) {
        l.formatter = function (v) {
          var d = new Date(v);
          return ("0" + (d.getUTCMonth() + 1)).slice(-2) + "-" + ("0" + d.getUTCDate()).slice(-2);
        };
      } else if (l.retroLabels) {
        var values = l.customValues, labels = l.retroLabels;
        l.formatter = function (v) { return near(values, labels, v); };
      }
    });
  }
  function esc(s) {
    return String(s).replace(/[&<>"]/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]; });
  }
  function tooltip(option) {
    var hidden = option.series.map(function (s) { return !!s.retroHidden; });
    return function (params) {
      params = [].concat(params);
      var head = "", rows = [];
      params.forEach(function (p) {
        if (hidden[p.seriesIndex] || !p.data || p.data.f === undefined || p.data.f === "") return;
        head = head || p.data.xf;
        rows.push(p.marker + esc(p.seriesName || "") + (p.seriesName ? " " : "") + "<b>" + esc(p.data.f) + "</b>");
      });
      return rows.length ? '<div class="retro-tip">' + esc(head) + "<br>" + rows.join("<br>") + "</div>" : "";
    };
  }
  function drawAll() {
  document.querySelectorAll("figure.retro-chart").forEach(function (fig) {
    var src = fig.querySelector("script.retro-echart-option");
    var el = fig.querySelector(".retro-echart");
    if (!src || !el) return;
    var option;
    try { option = JSON.parse(src.textContent); } catch (e) { return; }
    axisLabels(option.xAxis);
    axisLabels(option.yAxis);
    option.tooltip.formatter = tooltip(option);
    fig.classList.add("live");
    var chart = echarts.init(el, null, { renderer: "svg" });
    chart.setOption(option);
    live.push(chart);
  });
  }
  // labels are measured in the page's embedded font: draw once it is loaded, or they are cut short
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(drawAll); else drawAll();
  window.addEventListener("resize", function () { live.forEach(function (c) { c.resize(); }); });
})();

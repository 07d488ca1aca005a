// yardstick HTML report: draws every chart of the page from the specs the Go
// renderer wrote (results/render_html.go, type htmlChart) with uPlot, inlined above.
// A spec holds aligned data (data[0] the x values, one array per series, null where a
// series has no point), axes with their labels and units, and marks: horizontal or
// vertical reference lines (percentiles, SLO thresholds, level starts) and labelled
// points (p50/p95/p99 on a CDF, the peak of a sweep). After drawing, each chart's
// element gets data-drawn: the number of non-null points handed to uPlot, which the
// browser test compares with data-points, the count the Go side wrote.
(function () {
  "use strict";
  var specs = window.YARDSTICK_CHARTS || [];
  var si = ["", "k", "M", "G", "T", "P", "E"];

  function fmtSI(v) {
    if (v == null || !isFinite(v)) return "";
    var a = Math.abs(v), i = 0;
    while (a >= 1000 && i < si.length - 1) { a /= 1000; v /= 1000; i++; }
    return (+v.toPrecision(3)) + si[i];
  }
  function fmtNum(v) {
    if (v == null || !isFinite(v)) return "";
    var a = Math.abs(v);
    if (a >= 1e5) return fmtSI(v);
    if (a >= 100) return v.toFixed(0);
    if (a >= 1) return (+v.toPrecision(3)).toString();
    if (a === 0) return "0";
    return (+v.toPrecision(2)).toString();
  }
  function fmt(kind, v) {
    if (kind === "si") return fmtSI(v);
    if (kind === "pct") return v == null ? "" : fmtNum(v) + "%";
    return fmtNum(v);
  }

  function drawMarks(u, spec) {
    var ctx = u.ctx, bb = u.bbox, px = uPlot.pxRatio;
    ctx.save();
    ctx.font = (11 * px) + "px system-ui, sans-serif";
    ctx.textBaseline = "bottom";
    (spec.lines || []).forEach(function (m) {
      var scale = m.axis === "x" ? "x" : (m.scale || "y");
      if (!u.scales[scale] || u.scales[scale].min == null) return;
      var p = u.valToPos(m.value, scale, true);
      ctx.strokeStyle = m.color || "#888";
      ctx.fillStyle = m.color || "#555";
      ctx.lineWidth = px;
      ctx.setLineDash(m.dash ? [5 * px, 4 * px] : []);
      ctx.beginPath();
      if (m.axis === "x") {
        if (p < bb.left || p > bb.left + bb.width) return;
        ctx.moveTo(p, bb.top); ctx.lineTo(p, bb.top + bb.height);
        ctx.stroke();
        if (m.label) { ctx.textAlign = "left"; ctx.fillText(m.label, p + 3 * px, bb.top + 12 * px); }
      } else {
        if (p < bb.top || p > bb.top + bb.height) return;
        ctx.moveTo(bb.left, p); ctx.lineTo(bb.left + bb.width, p);
        ctx.stroke();
        if (m.label) {
          ctx.textAlign = m.right ? "right" : "left";
          ctx.textBaseline = m.below ? "top" : "bottom";
          ctx.fillText(m.label, m.right ? bb.left + bb.width - 3 * px : bb.left + 3 * px, m.below ? p + 2 * px : p - 2 * px);
          ctx.textBaseline = "bottom";
        }
      }
    });
    ctx.setLineDash([]);
    (spec.points || []).forEach(function (m) {
      var sx = u.scales.x, sy = u.scales[m.scale || "y"];
      if (!sy || sy.min == null || sx.min == null) return;
      if (m.series != null && u.series[m.series] && !u.series[m.series].show) return;
      var x = u.valToPos(m.x, "x", true), y = u.valToPos(m.y, m.scale || "y", true);
      if (x < bb.left - 1 || x > bb.left + bb.width + 1 || y < bb.top - 1 || y > bb.top + bb.height + 1) return;
      ctx.fillStyle = m.color || "#000";
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = px;
      ctx.beginPath();
      var r = (m.size || 4) * px;
      if (m.shape === "diamond") {
        ctx.moveTo(x, y - r); ctx.lineTo(x + r, y); ctx.lineTo(x, y + r); ctx.lineTo(x - r, y); ctx.closePath();
      } else {
        ctx.arc(x, y, r, 0, 2 * Math.PI);
      }
      ctx.fill(); ctx.stroke();
      if (m.label) {
        ctx.fillStyle = m.color || "#000";
        ctx.textAlign = "left";
        ctx.fillText(m.label, x + r + 2 * px, y - 2 * px);
      }
    });
    ctx.restore();
  }

  function axis(a, scale, side) {
    var o = {
      scale: scale, label: a.label, labelSize: 20, size: scale === "x" ? (a.time ? 56 : 44) : 60,
      stroke: "#333", grid: { stroke: "#e6e6e6", width: 1 }, ticks: { stroke: "#ccc", width: 1 },
      font: "11px system-ui, sans-serif", labelFont: "12px system-ui, sans-serif"
    };
    if (!a.time) o.values = function (u, ticks) {
      // Linear ticks print with the decimals their step needs (10.25, 10.5, not
      // 10.3, 10.3); log ticks and SI ones with three significant digits.
      var step = ticks.length > 1 ? Math.abs(ticks[1] - ticks[0]) : 0;
      if (!a.log && !a.format && step > 0 && step < 1000) {
        var dec = Math.max(0, Math.min(6, -Math.floor(Math.log10(step) + 1e-9)));
        return ticks.map(function (v) { return v == null ? "" : v.toFixed(dec); });
      }
      return ticks.map(function (v) { return fmt(a.format, v); });
    };
    if (side != null) o.side = side;
    if (scale === "y2") o.grid = { show: false };
    return o;
  }

  function build(spec) {
    var el = document.getElementById(spec.id);
    if (!el) return;
    var scales = {
      x: { time: !!spec.x.time, distr: spec.x.log ? 3 : 1 },
      y: { distr: spec.y.log ? 3 : 1 }
    };
    if (spec.x.min != null || spec.x.max != null) {
      scales.x.range = [spec.x.min, spec.x.max];
    } else {
      // A margin on both sides, so points at the ends are drawn whole.
      scales.x.range = function (u, mn, mx) {
        if (mn == null || mx == null) return [mn, mx];
        // A log axis starts and ends on powers of ten: uPlot counts its ticks from the
        // range's ends, and a range of [103, 1030] labels them 103 and 1030.
        if (spec.x.log) return [Math.pow(10, Math.floor(Math.log10(mn / 1.15))), Math.pow(10, Math.ceil(Math.log10(mx * 1.15)))];
        var pad = (mx - mn) * 0.03 || Math.abs(mn) * 0.05 || 1;
        return [mn - pad, mx + pad];
      };
    }
    if (spec.y.min != null || spec.y.max != null) scales.y.range = [spec.y.min, spec.y.max];
    var axes = [axis(spec.x, "x"), axis(spec.y, "y")];
    if (spec.y2) {
      scales.y2 = { distr: spec.y2.log ? 3 : 1 };
      if (spec.y2.min != null || spec.y2.max != null) scales.y2.range = [spec.y2.min, spec.y2.max];
      axes.push(axis(spec.y2, "y2", 1));
    }
    var series = [{
      label: spec.x.label,
      value: spec.x.time ? undefined : function (u, v) { return v == null ? "" : fmt(spec.x.format, v); }
    }];
    spec.series.forEach(function (s) {
      var ax = s.scale === "y2" ? spec.y2 : spec.y;
      var o = {
        label: s.label, stroke: s.color, width: s.line ? 2 : 0, scale: s.scale || "y", spanGaps: true,
        value: function (u, v) { return v == null ? "" : fmt(ax.format, v); },
        points: { show: !!s.points || !s.line, size: s.size || (s.line ? 5 : 4), stroke: s.color, fill: s.color, width: 1 }
      };
      if (!s.line) o.paths = function () { return null; };
      if (s.dash) o.dash = [6, 4];
      if (s.fill) o.fill = s.fill;
      series.push(o);
    });
    var drawn = 0;
    for (var i = 1; i < spec.data.length; i++) {
      for (var j = 0; j < spec.data[i].length; j++) if (spec.data[i][j] != null) drawn++;
    }
    var opts = {
      // Times are the run files' UTC, not the reader's zone.
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"); },
      width: Math.max(320, el.clientWidth || 640), height: spec.height || 300,
      scales: scales, axes: axes, series: series,
      legend: { live: true },
      cursor: { points: { size: 6 } },
      hooks: { draw: [function (u) { drawMarks(u, spec); }] }
    };
    if (spec.bands) opts.bands = spec.bands;
    var u = new uPlot(opts, spec.data, el);
    el.dataset.drawn = String(drawn);
    return u;
  }

  var plots = [];
  specs.forEach(function (spec) {
    var u = build(spec);
    if (u) plots.push([u, spec]);
  });
  var pending = false;
  window.addEventListener("resize", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      plots.forEach(function (p) {
        var el = document.getElementById(p[1].id);
        if (el && el.clientWidth) p[0].setSize({ width: Math.max(320, el.clientWidth), height: p[1].height || 300 });
      });
    });
  });

  // A history page's metric chooser shows the trend charts and tables of the chosen
  // metric (elements with data-metric) and hides the others. Every chart is drawn
  // first, while visible, so each has its width.
  var chooser = document.getElementById("history-metric");
  function choose() {
    document.querySelectorAll("[data-metric]").forEach(function (t) {
      t.hidden = t.getAttribute("data-metric") !== chooser.value;
    });
  }
  if (chooser) {
    chooser.addEventListener("change", choose);
    choose();
  }
})();

/* Pivot page: asks /api/v1/stats/appeals, draws the table and a bar chart of the row totals
   (plain SVG, no library). */
(function () {
  "use strict";
  var form = document.getElementById("pivot-form");
  var TOTAL = form.dataset.total;  // "Итого" in the page's language
  function query() {
    var data = new FormData(form), params = new URLSearchParams();
    data.forEach(function (v, k) { if (v) { params.set(k, v); } });
    return params;
  }
  function fmt(v, metric) {
    if (v === null || v === undefined) { return "—"; }
    if (/share$/.test(metric)) { return (v * 100).toFixed(1).replace(".", ",") + " %"; }
    return typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2).replace(".", ",") : String(v).replace(/\B(?=(\d{3})+(?!\d))/g, " ");
  }
  function el(tag, text) { var e = document.createElement(tag); if (text !== undefined) { e.textContent = text; } return e; }
  function chart(items, metric) {
    // drawn at the width of its box (a phone gets readable 12 px labels, not a scaled-down desk chart)
    var box = document.getElementById("pivot-chart").clientWidth || 640;
    var ns = "http://www.w3.org/2000/svg", width = Math.max(300, Math.min(box, 900)), rowH = 22,
      labelW = Math.round(Math.min(190, width * 0.38));
    var peak = Math.max.apply(null, items.map(function (i) { return i.value || 0; }).concat([/share$/.test(metric) ? 1 : 1e-9]));
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 " + width + " " + (items.length * rowH + 8));
    svg.setAttribute("width", width); svg.setAttribute("style", "max-width:100%;height:auto");
    items.forEach(function (item, i) {
      var y = i * rowH, t = document.createElementNS(ns, "text");
      t.setAttribute("x", labelW - 6); t.setAttribute("y", y + 15); t.setAttribute("text-anchor", "end");
      t.setAttribute("font-size", "12"); t.textContent = item.label.slice(0, Math.floor(labelW / 6.5)); svg.appendChild(t);
      var w = Math.max(1, (width - labelW - 80) * (item.value || 0) / peak), r = document.createElementNS(ns, "rect");
      r.setAttribute("x", labelW); r.setAttribute("y", y + 3); r.setAttribute("width", w); r.setAttribute("height", rowH - 6);
      r.setAttribute("fill", "#2563eb"); svg.appendChild(r);
      var v = document.createElementNS(ns, "text");
      v.setAttribute("x", labelW + w + 4); v.setAttribute("y", y + 15); v.setAttribute("font-size", "12");
      v.textContent = fmt(item.value, metric); svg.appendChild(v);
    });
    return svg;
  }
  function render(body) {
    var metric = body.columns[0], rowDims = body.rows, colDim = body.cols[0];
    var table = document.getElementById("pivot-table"); table.textContent = "";
    var colKeys = [], colLabels = {}, rows = {}, order = [];
    body.results.forEach(function (r) {
      var rk = rowDims.map(function (d) { return r[d]; }).join("|");
      if (colDim && (r.level === "cell" || r.level === "col")) {
        if (colKeys.indexOf(r[colDim]) < 0) { colKeys.push(r[colDim]); colLabels[r[colDim]] = r[colDim + "_label"]; }
      }
      var key = (r.level === "col" || r.level === "total") ? "__total__" : rk;
      if (!rows[key]) { rows[key] = {label: key === "__total__" ? TOTAL : rowDims.map(function (d) { return r[d + "_label"]; }).join(" / "), cells: {}}; order.push(key); }
      rows[key].cells[(r.level === "cell" || r.level === "col") ? r[colDim] : "__total__"] = r[metric];
    });
    var head = el("tr"); head.appendChild(el("th", ""));
    colKeys.forEach(function (k) { head.appendChild(el("th", colLabels[k])); });
    head.appendChild(el("th", TOTAL)); table.appendChild(head);
    order.sort(function (a, b) { return (a === "__total__") - (b === "__total__"); }).forEach(function (key) {
      var tr = el("tr"); tr.appendChild(el("td", rows[key].label));
      colKeys.concat(["__total__"]).forEach(function (k) { var td = el("td", fmt(rows[key].cells[k], metric)); td.className = "num"; tr.appendChild(td); });
      table.appendChild(tr);
    });
    var items = order.filter(function (k) { return k !== "__total__"; }).map(function (k) { return {label: rows[k].label, value: rows[k].cells.__total__}; });
    var holder = document.getElementById("pivot-chart"); holder.textContent = ""; holder.appendChild(chart(items, metric));
  }
  function run(event) {
    if (event) { event.preventDefault(); }
    var params = query(), error = document.getElementById("pivot-error"); error.textContent = "";
    ["csv", "xlsx"].forEach(function (f) { var p = new URLSearchParams(params); p.set("export", f); document.getElementById(f).href = "/api/v1/stats/appeals?" + p; });
    fetch("/api/v1/stats/appeals?" + params, {credentials: "same-origin"}).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      if (!res.ok) { error.textContent = Object.keys(res.body).map(function (k) { return k + ": " + res.body[k]; }).join("; "); return; }
      render(res.body);
      // the footnote on approximate percentiles (from the answer-time histograms)
      document.getElementById("pivot-approximate").hidden = !res.body.approximate;
    });
  }
  form.addEventListener("submit", run);
  run();
})();

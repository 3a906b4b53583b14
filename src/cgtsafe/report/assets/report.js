/* cgtsafe evidence report: language switch, plotly figures, sortable tables with CSV download,
   traceability filter. Works offline; reads data only from <script type="application/json"> blocks. */
(function () {
  "use strict";
  var root = document.documentElement;

  /* ---- language switch: both -> en -> zh -> both ---- */
  var ORDER = ["both", "en", "zh"];
  var LABEL = { both: "中文 + English", en: "English", zh: "中文" };
  var btn = document.getElementById("lang-toggle");
  function setLang(lang) {
    root.setAttribute("data-lang", lang);
    root.setAttribute("lang", lang === "en" ? "en" : "zh-CN");
    if (btn) { btn.querySelector(".cur").textContent = LABEL[lang]; }
    var opts = document.querySelectorAll("option[data-en]");
    for (var i = 0; i < opts.length; i++) {
      var en = opts[i].getAttribute("data-en"), zh = opts[i].getAttribute("data-zh");
      opts[i].textContent = lang === "en" ? en : (lang === "zh" ? zh : zh + " / " + en);
    }
    drawFigures();
  }
  if (btn) {
    btn.addEventListener("click", function () {
      var i = ORDER.indexOf(root.getAttribute("data-lang"));
      setLang(ORDER[(i + 1) % ORDER.length]);
    });
  }

  function data(id) { return JSON.parse(document.getElementById(id).textContent); }

  /* ---- figures: one plotly chart per figure block; strings the report knows are shown in the current
     language ("中文 / English" when both); margins grow to fit axis titles, legends sit below the plot ---- */
  function localise(v, zh, lang) {
    if (typeof v !== "string" || !zh[v] || lang === "en") { return v; }
    return lang === "zh" ? zh[v] : zh[v] + " / " + v;
  }
  /* legend entries and annotations: one language (Chinese when both are shown) so the plot keeps its room */
  function short(v, zh, lang) {
    if (typeof v !== "string" || !zh[v] || lang === "en") { return v; }
    return zh[v];
  }
  function titled(t, zh, lang) {
    if (t === undefined || t === null) { return t; }
    if (typeof t === "string") { return { text: localise(t, zh, lang) }; }
    var o = JSON.parse(JSON.stringify(t));
    o.text = localise(o.text, zh, lang);
    return o;
  }
  function wrap(text, n) {   /* long axis titles break into lines instead of running off the plot */
    if (typeof text !== "string" || text.length <= n || text.indexOf("<br") >= 0) { return text; }
    var words = text.split(" "), lines = [""];
    words.forEach(function (w) {
      var cur = lines[lines.length - 1];
      if (cur && (cur + " " + w).length > n) { lines.push(w); } else { lines[lines.length - 1] = cur ? cur + " " + w : w; }
    });
    return lines.join("<br>");
  }
  function drawFigures() {
    var lang = root.getAttribute("data-lang") || "both";
    var plots = document.querySelectorAll("div.plot[data-fig]");
    for (var p = 0; p < plots.length; p++) {
      var div = plots[p];
      var block = data(div.getAttribute("data-fig"));
      var spec = block.spec || block, zh = block.zh || {};
      var layout = JSON.parse(JSON.stringify(spec.layout || {}));
      var traces = JSON.parse(JSON.stringify(spec.data || []));
      layout.title = titled(layout.title, zh, lang);
      ["xaxis", "yaxis"].forEach(function (ax) {
        layout[ax] = layout[ax] || {};
        layout[ax].automargin = true;
        if (layout[ax].title) {
          layout[ax].title = titled(layout[ax].title, zh, lang);
          layout[ax].title.text = wrap(layout[ax].title.text, ax === "yaxis" ? 38 : 90);
        }
      });
      for (var i = 0; i < traces.length; i++) { traces[i].name = short(traces[i].name, zh, lang); }
      (layout.annotations || []).forEach(function (a) { a.text = short(a.text, zh, lang); });
      var m = layout.margin || {};
      layout.margin = { l: Math.max(m.l || 0, 70), r: Math.max(m.r || 0, 30), t: Math.max(m.t || 0, 60),
                        b: Math.max(m.b || 0, 70) };
      /* legend outside the plot: to the right when its entries are short, else at the bottom of the figure
         below the x-axis title (container coordinates, bottom margin grown to hold it) */
      var names = traces.filter(function (t) { return t.showlegend !== false && t.name; })
                        .map(function (t) { return String(t.name); });
      if (names.length > 1 || (names.length === 1 && layout.showlegend)) {
        var longest = Math.max.apply(null, names.map(function (n) { return n.length; }));
        if (longest <= 28) {
          layout.legend = Object.assign({}, layout.legend || {}, { orientation: "v", x: 1.02, xanchor: "left",
                                          y: 1, yanchor: "top", yref: "paper" });
        } else {
          layout.legend = Object.assign({}, layout.legend || {}, { orientation: "h", x: 0, xanchor: "left",
                                          y: 0, yanchor: "bottom", yref: "container" });
          var rows = names.length;
          layout.margin.b = Math.max(layout.margin.b, 95 + 21 * rows);
          layout.height = Math.max(layout.height || 0, 420 + 21 * rows);
        }
      }
      layout.autosize = true;
      window.Plotly.react(div, traces, layout,
        { responsive: true, displaylogo: false, modeBarButtonsToRemove: ["sendDataToCloud"] });
      div.setAttribute("data-rendered", "1");
    }
  }

  /* ---- tables ---- */
  function num(s) {
    if (s === null || s === undefined) { return NaN; }
    var t = String(s).trim();
    if (t === "" || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?%?$/.test(t)) { return NaN; }
    return parseFloat(t);
  }
  function cmp(a, b) {
    var x = num(a), y = num(b);
    var xn = !isNaN(x), yn = !isNaN(y);
    if (xn && yn) { return x - y; }
    if (xn) { return -1; }
    if (yn) { return 1; }
    var sa = a === null || a === undefined ? "" : String(a), sb = b === null || b === undefined ? "" : String(b);
    if (sa === "" && sb !== "") { return 1; }
    if (sb === "" && sa !== "") { return -1; }
    return sa < sb ? -1 : (sa > sb ? 1 : 0);
  }
  function csvCell(v) {
    v = v === null || v === undefined ? "" : String(v);
    return /[",\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
  }
  function download(name, columns, rows) {
    var lines = [columns.map(csvCell).join(",")];
    for (var i = 0; i < rows.length; i++) { lines.push(rows[i].map(csvCell).join(",")); }
    var blob = new Blob(["\ufeff" + lines.join("\r\n") + "\r\n"], { type: "text/csv;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var a = document.createElement("a");
    a.href = url; a.download = name; a.style.display = "none";
    document.body.appendChild(a); a.click();
    setTimeout(function () { URL.revokeObjectURL(url); a.remove(); }, 1000);
  }
  window.cgtsafeCsv = function (id) {   /* used by tests: the CSV text a download would hold */
    var d = data(id);
    var lines = [d.columns.map(csvCell).join(",")];
    for (var i = 0; i < d.rows.length; i++) { lines.push(d.rows[i].map(csvCell).join(",")); }
    return lines.join("\r\n") + "\r\n";
  };

  var tables = document.querySelectorAll("table.sortable[data-src]");
  for (var ti = 0; ti < tables.length; ti++) {
    (function (table) {
      var src = table.getAttribute("data-src");
      var limit = parseInt(table.getAttribute("data-limit"), 10);
      var d = data(src);
      var rows = d.rows.slice();
      var numeric = d.numeric || [];
      var order = d.order || d.columns.map(function (c, i) { return i; });
      var nkey = d.nkey === undefined ? order.length : d.nkey;
      var ths = table.querySelectorAll("thead th");
      function render() {
        var tbody = document.createElement("tbody");
        var n = Math.min(limit, rows.length);
        for (var i = 0; i < n; i++) {
          var tr = document.createElement("tr");
          for (var o = 0; o < order.length; o++) {
            var j = order[o];
            var td = document.createElement("td");
            var v = rows[i][j];
            td.textContent = v === null || v === undefined ? "" : String(v);
            td.className = (numeric[j] ? "num" : "") + (o >= nkey ? " detail" : "");
            tr.appendChild(td);
          }
          tbody.appendChild(tr);
        }
        table.replaceChild(tbody, table.querySelector("tbody"));
      }
      for (var c = 0; c < ths.length; c++) {
        (function (col, th) {
          th.addEventListener("click", function () {
            var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
            for (var k = 0; k < ths.length; k++) { ths[k].removeAttribute("aria-sort"); }
            th.setAttribute("aria-sort", dir === 1 ? "ascending" : "descending");
            var idx = rows.map(function (r, i) { return [r, i]; });
            var jc = order[col];
            idx.sort(function (a, b) { return dir * cmp(a[0][jc], b[0][jc]) || a[1] - b[1]; });
            rows = idx.map(function (x) { return x[0]; });
            render();
          });
        })(c, ths[c]);
      }
    })(tables[ti]);
  }
  var cols = document.querySelectorAll("button.cols[data-table]");
  for (var ci = 0; ci < cols.length; ci++) {
    cols[ci].addEventListener("click", function (ev) {
      var t = document.querySelector('table[data-src="' + ev.currentTarget.getAttribute("data-table") + '"]');
      if (t) { t.classList.toggle("compact"); }
    });
  }
  var dls = document.querySelectorAll("button.dl[data-src]");
  for (var di = 0; di < dls.length; di++) {
    dls[di].addEventListener("click", function (ev) {
      var b = ev.currentTarget;
      var d = data(b.getAttribute("data-src"));
      download(b.getAttribute("data-name"), d.columns, d.rows);
    });
  }

  /* ---- traceability filter ---- */
  var ft = document.getElementById("trace-filter"), fs = document.getElementById("trace-status");
  var fd = document.getElementById("trace-doc"), shown = document.getElementById("trace-shown");
  /* same normalisation as cgtsafe.report.clauses.search_key: NFKC, lower case, no spaces or punctuation */
  function norm(t) {
    t = String(t || "");
    if (t.normalize) { t = t.normalize("NFKC"); }
    return t.toLowerCase().replace(/[\s\p{P}\p{S}_]+/gu, "");
  }
  function filter() {
    var q = norm(ft.value), st = fs.value, doc = fd.value, n = 0;
    var trs = document.querySelectorAll("#trace-table tbody tr");
    for (var i = 0; i < trs.length; i++) {
      var tr = trs[i];
      var ok = (!st || tr.getAttribute("data-status") === st) && (!doc || tr.getAttribute("data-doc") === doc) &&
               (!q || (tr.getAttribute("data-search") || norm(tr.textContent)).indexOf(q) >= 0);
      tr.style.display = ok ? "" : "none";
      if (ok) { n++; }
    }
    shown.textContent = String(n);
  }
  if (ft && fs && fd && shown) {
    ft.addEventListener("input", filter); fs.addEventListener("change", filter); fd.addEventListener("change", filter);
    filter();
  }
  setLang(root.getAttribute("data-lang") || "both");
  root.setAttribute("data-ready", "1");
})();

// sipdiag triage index: optional comfort. The table reads completely without it.
// - filter box (every word must appear in the row) and "only problems";
// - sortable columns (click or Enter on a heading).
(function () {
  "use strict";
  var table = document.getElementById("event-table");
  var tools = document.getElementById("event-tools");
  if (!table || !tools) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("event-filter");
  var problems = document.getElementById("event-problems");
  var count = document.getElementById("event-count");
  tools.hidden = false;
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });

  function apply() {
    var q = filter.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    var only = problems.checked;
    var shown = 0;
    for (var i = 0; i < rows.length; i++) {
      var ok = (!only || rows[i].getAttribute("data-problem") === "1") &&
        q.every(function (w) { return texts[i].indexOf(w) >= 0; });
      rows[i].hidden = !ok;
      if (ok) shown++;
    }
    count.textContent = shown + " of " + rows.length + " events";
  }
  filter.addEventListener("input", apply);
  problems.addEventListener("change", apply);
  var cause = /^#cause=(.+)$/.exec(location.hash);
  if (cause) filter.value = decodeURIComponent(cause[1]);
  window.addEventListener("hashchange", function () {
    var m = /^#cause=(.+)$/.exec(location.hash);
    if (m) { filter.value = decodeURIComponent(m[1]); apply(); }
  });
  apply();

  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    th.classList.add("sortable");
    th.tabIndex = 0;
    th.title = "Sort by this column";
    var dir = 1;
    function sort() {
      var numeric = th.getAttribute("data-key") === "num";
      var keyed = rows.map(function (r, i) {
        var cell = r.cells[col];
        var v = cell.getAttribute("data-sort") || cell.textContent.trim();
        return {r: r, i: i, v: numeric ? parseFloat(v) || 0 : v.toLowerCase()};
      });
      keyed.sort(function (a, b) {
        return (a.v < b.v ? -1 : a.v > b.v ? 1 : a.i - b.i) * dir;
      });
      var frag = document.createDocumentFragment();
      keyed.forEach(function (k) { frag.appendChild(k.r); });
      body.appendChild(frag);
      for (var h = 0; h < heads.length; h++) heads[h].removeAttribute("aria-sort");
      th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
      dir = -dir;
    }
    th.addEventListener("click", sort);
    th.addEventListener("keydown", function (e) { if (e.key === "Enter") sort(); });
  });
})();

// sipdiag report: optional comfort. The page reads completely without it.
// - following a link to a message/finding/ladder inside a closed <details> opens it;
// - "Expand all" for the message appendix;
// - the flow table: filter box, "only problems", sortable columns.
(function () {
  "use strict";

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    for (var n = el; n; n = n.parentElement) {
      if (n.tagName === "DETAILS") n.open = true;
    }
    if (el) el.scrollIntoView({block: "center"});
  }
  window.addEventListener("hashchange", openTarget);
  if (location.hash) openTarget();

  var expand = document.getElementById("expand-all");
  if (expand) {
    expand.hidden = false;
    expand.addEventListener("click", function () {
      var all = document.querySelectorAll("#appendix details");
      var open = expand.textContent === "Expand all";
      for (var i = 0; i < all.length; i++) all[i].open = open;
      expand.textContent = open ? "Collapse all" : "Expand all";
    });
  }

  var table = document.getElementById("flow-table");
  var tools = document.getElementById("flow-tools");
  if (!table || !tools) return;
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("flow-filter");
  var problems = document.getElementById("flow-problems");
  var count = document.getElementById("flow-count");
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
    count.textContent = shown + " of " + rows.length + " flows";
  }
  filter.addEventListener("input", apply);
  problems.addEventListener("change", apply);
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

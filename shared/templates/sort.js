// Click a column header to sort a report table by it (numbers by their raw value); click again to reverse.
// Total and baseline rows (class "pinned") stay at the bottom, in their order.
document.querySelectorAll("table.retro-table").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, col) {
    th.classList.add("sortable");
    th.setAttribute("title", th.textContent + " ⇅");
    th.addEventListener("click", function () {
      var body = table.tBodies[0];
      var all = Array.prototype.slice.call(body.rows);
      var rows = all.filter(function (r) { return !r.classList.contains("pinned"); });
      var pinned = all.filter(function (r) { return r.classList.contains("pinned"); });
      var asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      function key(row) {
        var cell = row.cells[col];
        if (!cell) return "";
        var raw = cell.getAttribute("data-sort");
        return raw === null ? cell.textContent.trim() : parseFloat(raw);
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b);
        if (typeof x === "number" && typeof y === "number") return asc ? x - y : y - x;
        return asc ? String(x).localeCompare(String(y)) : String(y).localeCompare(String(x));
      });
      rows.concat(pinned).forEach(function (r) { body.appendChild(r); });
    });
  });
});

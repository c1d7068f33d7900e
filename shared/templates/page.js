// A long table shows its first rows and a button to show all (sorting keeps the fold on the top rows);
// without a script, or in print, every row shows. On a phone the contents start folded.
(function () {
  var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
  var FOLD = 15, SHOWN = 10;
  document.querySelectorAll("table.retro-table").forEach(function (table) {
    var body = table.tBodies[0];
    if (!body) return;
    var rows = Array.prototype.filter.call(body.rows, function (r) { return !r.classList.contains("pinned"); });
    if (rows.length <= FOLD) return;
    table.classList.add("folded");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "retro-show-all";
    var more = zh ? "显示全部" + rows.length + "行" : "Show all " + rows.length + " rows";
    var less = zh ? "只显示前" + SHOWN + "行" : "Show the first " + SHOWN + " rows";
    button.textContent = more;
    button.setAttribute("aria-expanded", "false");
    button.addEventListener("click", function () {
      var folded = table.classList.toggle("folded");
      button.textContent = folded ? more : less;
      button.setAttribute("aria-expanded", folded ? "false" : "true");
    });
    var wrap = table.closest(".retro-table-wrap") || table;
    wrap.parentNode.insertBefore(button, wrap.nextSibling);
  });
  var toc = document.querySelector("details.report-toc");
  if (toc && window.matchMedia && window.matchMedia("(max-width: 999px)").matches) toc.removeAttribute("open");
})();

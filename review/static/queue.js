// The queue's keyboard: j/k move the row focus, Enter or o opens it, x selects it,
// / jumps to the search box, [ and ] page. Registered with app.js, which keeps
// shortcuts out of text fields and away from an open IME composition.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", () => {
    const table = document.querySelector("table[data-queue]");
    const rows = table ? [...table.querySelectorAll("tbody tr[data-application-id]")] : [];
    let current = -1;

    function focusRow(index) {
      if (!rows.length) return;
      current = Math.max(0, Math.min(rows.length - 1, index));
      rows.forEach((row, i) => row.classList.toggle("focused", i === current));
      const link = rows[current].querySelector("a.open");
      if (link) link.focus({ preventScroll: true });
      rows[current].scrollIntoView({ block: "nearest" });
    }

    function open() {
      if (current < 0) return;
      const link = rows[current].querySelector("a.open");
      if (link) window.location.href = link.href;
    }

    rows.forEach((row, i) => {
      row.addEventListener("focusin", () => {
        current = i;
        rows.forEach((other, j) => other.classList.toggle("focused", j === i));
      });
    });

    const keys = window.intakeShortcuts;
    keys.on("j", () => focusRow(current + 1));
    keys.on("k", () => focusRow(current < 0 ? 0 : current - 1));
    keys.on("o", open);
    // app.js has already taken Enter from the browser, so a focused button or link elsewhere is clicked here.
    keys.on("enter", () => {
      const active = document.activeElement;
      if (active && active !== document.body && !active.closest("tr[data-application-id]")) active.click();
      else open();
    });
    keys.on("x", () => {
      if (current < 0) focusRow(0);
      const box = rows[current] && rows[current].querySelector("input[name=ids]");
      if (box) box.checked = !box.checked;
    });
    keys.on("/", () => { const search = document.querySelector("[data-search]"); if (search) search.focus(); });
    keys.on("]", () => { const next = document.querySelector("a[rel=next]"); if (next) next.click(); });
    keys.on("[", () => { const prev = document.querySelector("a[rel=prev]"); if (prev) prev.click(); });

    const all = document.querySelector("[data-select-all]");
    if (all) {
      all.addEventListener("change", () => {
        rows.forEach((row) => { const box = row.querySelector("input[name=ids]"); if (box) box.checked = all.checked; });
      });
    }
    if (rows.length) focusRow(0);
  });
})();

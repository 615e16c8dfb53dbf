// Keyboard shortcuts for the review app. Pages register theirs with
// intakeShortcuts.on(key, handler, {inFields}) — key is e.g. "?", "j", "ctrl+s",
// "g q" (a two-key sequence). A shortcut never fires while a Chinese IME
// composition is open (Enter and Tab then belong to the IME), and plain keys
// never fire while the user types in a field.
(function () {
  "use strict";
  const handlers = new Map();
  let pending = "";
  let pendingTimer = null;

  function keyName(event) {
    const parts = [];
    if (event.ctrlKey || event.metaKey) parts.push("ctrl");
    if (event.altKey) parts.push("alt");
    if (event.shiftKey && event.key.length > 1) parts.push("shift");
    parts.push(event.key.length === 1 ? event.key.toLowerCase() === event.key ? event.key : event.key : event.key.toLowerCase());
    return parts.join("+");
  }

  function typing(target) {
    return !!target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  window.intakeShortcuts = {
    on(key, handler, options) {
      handlers.set(key, { handler, inFields: !!(options && options.inFields) });
    },
  };

  document.addEventListener("keydown", (event) => {
    if (event.isComposing || event.keyCode === 229) return;
    const name = keyName(event);
    const sequence = pending ? pending + " " + name : name;
    const entry = handlers.get(sequence) || (pending ? null : handlers.get(name));
    if (!entry) {
      const starts = !typing(event.target) && [...handlers.keys()].some((k) => k.startsWith(name + " "));
      pending = starts ? name : "";
      clearTimeout(pendingTimer);
      if (starts) pendingTimer = setTimeout(() => { pending = ""; }, 1200);
      return;
    }
    pending = "";
    if (typing(event.target) && !entry.inFields) return;
    event.preventDefault();
    entry.handler(event);
  });

  document.addEventListener("DOMContentLoaded", () => {
    const help = document.getElementById("shortcut-help");
    const toggle = () => { if (!help) return; help.open ? help.close() : help.showModal(); };
    window.intakeShortcuts.on("?", toggle);
    window.intakeShortcuts.on("g q", () => { window.location.href = "/"; });
    document.querySelectorAll("[data-shortcut-help]").forEach((b) => b.addEventListener("click", toggle));
    // Confirmation for forms that ask for it (bulk actions, decisions): data-confirm="…"
    document.querySelectorAll("form[data-confirm]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    });
  });
})();

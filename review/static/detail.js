// The detail page's keyboard and page images.
// Tab and Enter move only among fields that need a person (data-state=review|missing):
// the other fields' inputs carry tabindex=-1 from the server, and the first field
// needing review is focused on load. Enter submits the focused field's form natively.
// Shortcuts (app.js ignores them during IME composition): ctrl+enter approve and next,
// n / p next / previous application of the queue, d download the original.
(function () {
  "use strict";

  function click(selector) {
    const element = document.querySelector(selector);
    if (element) element.click();
    return !!element;
  }

  // A Word file's page count is known only after its conversion: ask for the next page
  // whenever one loads, and stop at the first that does not exist.
  function probePages(image) {
    const template = image.dataset.srcTemplate;
    whenLoaded(image, () => {
      const figure = image.closest("figure");
      const number = Number(figure.dataset.page) + 1;
      if (number > 20) return;
      const next = figure.cloneNode(true);
      next.dataset.page = String(number);
      const nextImage = next.querySelector("img");
      nextImage.alt = nextImage.alt.replace(/\d+/, String(number));
      nextImage.src = template.replace(/\/0\.png(?=\?|$)/, "/" + number + ".png");
      figure.after(next);
      whenFailed(nextImage, () => next.remove());
      probePages(nextImage);
    });
  }

  // An image may have loaded (or failed) before this script ran.
  function whenLoaded(image, handler) {
    if (image.complete && image.naturalWidth > 0) handler();
    else image.addEventListener("load", handler, { once: true });
  }

  function whenFailed(image, handler) {
    if (image.complete && image.naturalWidth === 0 && image.getAttribute("src")) handler();
    else image.addEventListener("error", handler, { once: true });
  }

  function unavailable(image) {
    const note = document.createElement("p");
    note.className = "no-preview";
    note.textContent = "无法预览，请下载原件";
    const download = document.querySelector('a[data-shortcut="download"]');
    if (download) {
      const link = download.cloneNode(true);
      link.removeAttribute("data-shortcut");
      note.append(" ", link);
    }
    image.closest("figure").replaceWith(note);
  }

  // Source boxes: the server draws each field's box over its page (an SVG rect in percentages
  // of the page), hidden until that field is focused. Focusing a field, or its 原件位置 button,
  // outlines its box and scrolls the original to it; clicking a box focuses its field.
  function showSource(form) {
    const key = form ? form.dataset.field : null;
    let shown = null;
    document.querySelectorAll(".box-rect").forEach((rect) => {
      const mine = rect.dataset.field === key;
      rect.classList.toggle("active", mine);
      if (mine && !shown) shown = rect;
    });
    if (shown) shown.scrollIntoView({ block: "center", inline: "nearest", behavior: "smooth" });
  }

  function linkSources() {
    document.querySelectorAll("form.field").forEach((form) => {
      form.addEventListener("focusin", () => showSource(form.dataset.box !== undefined ? form : null));
      const locate = form.querySelector("[data-locate]");
      if (locate) locate.addEventListener("click", () => showSource(form));
    });
    document.querySelectorAll(".box-rect").forEach((rect) => {
      rect.addEventListener("click", () => {
        const input = document.querySelector(`form.field[data-field="${rect.dataset.field}"] input[name=value]`);
        if (input) input.focus();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    if (!document.querySelector("[data-detail]")) return;
    document.querySelectorAll(".original img").forEach((image) => {
      if (image.dataset.probe !== undefined) probePages(image);
      whenFailed(image, () => unavailable(image));
    });
    linkSources();
    // Read-only (no role in this application's campaign): Enter in a field saves nothing.
    document.querySelectorAll("form.field").forEach((form) => {
      form.addEventListener("submit", (event) => {
        const input = form.querySelector("input[name=value]");
        if (input && input.readOnly) event.preventDefault();
      });
    });

    const first = document.querySelector('form.field[data-state="review"] input[name=value], form.field[data-state="missing"] input[name=value]');
    if (first) { first.focus(); first.select(); }

    const keys = window.intakeShortcuts;
    keys.on("ctrl+enter", () => click('button[data-shortcut="approve-next"]'), { inFields: true });
    keys.on("n", () => click('a[rel="next"]'));
    keys.on("p", () => click('a[rel="prev"]'));
    keys.on("d", () => click('a[data-shortcut="download"]'));
  });
})();

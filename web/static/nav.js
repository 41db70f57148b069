// The shared header's menu button (web/templates/nav.html): on a narrow screen the links fold behind it.
// A file of its own, not inline: the Content-Security-Policy allows only same-origin scripts.
"use strict";
(() => {
  const header = document.getElementById("site-header");
  const button = document.getElementById("nav-toggle");
  if (!header || !button) return;
  header.classList.add("js-nav");  // only now may the CSS fold the menu: without this script it stays open
  const set = open => {
    header.classList.toggle("open", open);
    button.setAttribute("aria-expanded", String(open));
  };
  button.addEventListener("click", () => set(button.getAttribute("aria-expanded") !== "true"));
  header.addEventListener("keydown", e => {
    if (e.key === "Escape" && header.classList.contains("open")) { set(false); button.focus(); }
  });
})();

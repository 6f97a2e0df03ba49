// Jalon's bit of progressive JavaScript: draw the Vega-Lite charts, tidy the menus.
// Every chart's data is also in a table on the page, so nothing depends on this file.
"use strict";

const FRENCH = { decimal: ",", thousands: "\u202f", grouping: [3], currency: ["", "\u00a0€"] };

function drawCharts() {
  if (typeof window.vegaEmbed !== "function") return;
  const french = (document.documentElement.lang || "").startsWith("fr");
  document.querySelectorAll(".chart[data-spec]").forEach((element) => {
    const source = document.getElementById(element.dataset.spec);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    // No stylesheet injected and Vega's expressions interpreted, not compiled with
    // `new Function`: the Content-Security-Policy allows neither inline styles nor eval.
    const options = {
      actions: false,
      renderer: "svg",
      defaultStyle: false,
      ast: true,
      tooltip: { disableDefaultStyle: true }, // styled in jalon.css
    };
    if (french) options.formatLocale = FRENCH;
    element.replaceChildren();
    window.vegaEmbed(element, spec, options)
      .then(() => element.classList.add("drawn"))
      .catch((error) => {
        element.textContent = error.message;
        element.classList.add("failed");
      });
  });
}

function oneMenuOpen() {
  const menus = document.querySelectorAll("details.dropdown");
  menus.forEach((menu) => menu.addEventListener("toggle", () => {
    if (menu.open) menus.forEach((other) => { if (other !== menu) other.open = false; });
  }));
}

function checkAll() {
  // A header box that chooses every row's box (the review queue's bulk decisions).
  document.querySelectorAll("input[data-check-all]").forEach((box) => {
    box.hidden = false;
    box.addEventListener("change", () => {
      document.querySelectorAll(`input[name="${box.dataset.checkAll}"]`).forEach((other) => {
        other.checked = box.checked;
      });
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  drawCharts();
  oneMenuOpen();
  checkAll();
});

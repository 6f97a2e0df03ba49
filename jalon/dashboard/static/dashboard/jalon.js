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
    // A legend wraps to the chart's width: a column for each 150 px or so.
    const columns = Math.max(1, Math.floor(element.clientWidth / 150));
    spec.config = { ...spec.config, legend: { ...(spec.config || {}).legend, columns } };
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
      .then((result) => {
        element.classList.add("drawn");
        offerDownloads(element, result.view, spec);
      })
      .catch((error) => {
        element.textContent = error.message;
        element.classList.add("failed");
      });
  });
}

function offerDownloads(element, view, spec) {
  // The chart as SVG or PNG, drawn again by Vega; its data as CSV, written by the server.
  const bar = element.closest("figure")?.querySelector(".chart-downloads");
  if (!bar) return;
  const name = element.dataset.name || element.dataset.spec;
  const save = (href, extension) => {
    const link = document.createElement("a");
    link.href = href;
    link.download = `${name}.${extension}`;
    document.body.append(link);
    link.click();
    link.remove();
  };
  const saveBlob = (blob, extension) => {
    const address = URL.createObjectURL(blob);
    save(address, extension);
    setTimeout(() => URL.revokeObjectURL(address), 10_000);
  };
  bar.querySelectorAll("button[data-download]").forEach((button) => {
    button.addEventListener("click", async () => {
      const kind = button.dataset.download;
      if (kind === "csv") {
        saveBlob(new Blob([spec.usermeta.csv], { type: "text/csv;charset=utf-8" }), "csv");
      } else if (kind === "svg") {
        saveBlob(new Blob([await view.toSVG()], { type: "image/svg+xml" }), "svg");
      } else {
        save(await view.toImageURL("png", 2), "png");
      }
    });
  });
  bar.hidden = false;
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

function phoneMenu() {
  // At phone width the menu and the search fold behind one button (the CSS hides them
  // only once this script runs: without it, everything stays shown). Escape closes the
  // menu and any open list in it.
  const header = document.querySelector("header.top");
  const button = document.querySelector("button.menu-toggle");
  if (!header || !button) return;
  document.documentElement.classList.add("js");
  button.hidden = false;
  button.addEventListener("click", () => {
    const open = header.classList.toggle("open");
    button.setAttribute("aria-expanded", String(open));
  });
  document.addEventListener("keydown", (event) => {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.dropdown[open]").forEach((menu) => { menu.open = false; });
    if (header.classList.contains("open")) {
      header.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
}

document.addEventListener("DOMContentLoaded", () => {
  drawCharts();
  oneMenuOpen();
  checkAll();
  phoneMenu();
});

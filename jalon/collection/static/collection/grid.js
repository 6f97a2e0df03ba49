// The entry grid, like a spreadsheet: arrows and Enter move between cells, and a block
// copied from Excel (tab-separated lines) pastes into the cells it covers. Without this
// file the grid is a plain form and still works.
"use strict";

function gridCells(table) {
  // The cells as rows × columns of inputs: [[value, comment], …].
  return Array.from(table.tBodies[0].rows)
    .map((row) => Array.from(row.querySelectorAll("input[data-col]")))
    .filter((inputs) => inputs.length);
}

function positionOf(cells, input) {
  for (let r = 0; r < cells.length; r += 1) {
    const c = cells[r].indexOf(input);
    if (c >= 0) return [r, c];
  }
  return null;
}

function moveTo(cells, r, c) {
  if (r < 0 || r >= cells.length) return;
  const target = cells[r][Math.max(0, Math.min(c, cells[r].length - 1))];
  target.focus();
  target.select();
}

function onKey(event, cells) {
  const input = event.target;
  const at = positionOf(cells, input);
  if (!at || event.altKey || event.ctrlKey || event.metaKey) return;
  const [r, c] = at;
  const start = input.selectionStart === 0 && input.selectionEnd === 0;
  const end = input.selectionStart === input.value.length;
  if (event.key === "ArrowDown" || (event.key === "Enter" && !event.shiftKey)) {
    event.preventDefault();
    moveTo(cells, r + 1, c);
  } else if (event.key === "ArrowUp" || (event.key === "Enter" && event.shiftKey)) {
    event.preventDefault();
    moveTo(cells, r - 1, c);
  } else if (event.key === "ArrowRight" && end && c + 1 < cells[r].length) {
    event.preventDefault();
    moveTo(cells, r, c + 1);
  } else if (event.key === "ArrowLeft" && start && c > 0) {
    event.preventDefault();
    moveTo(cells, r, c - 1);
  }
}

function onPaste(event, cells) {
  const text = (event.clipboardData || window.clipboardData).getData("text");
  if (!/[\t\n]/.test(text.replace(/\r?\n$/, ""))) return; // one value: the browser pastes it
  const at = positionOf(cells, event.target);
  if (!at) return;
  event.preventDefault();
  const lines = text.replace(/\r/g, "").replace(/\n$/, "").split("\n");
  lines.forEach((line, i) => {
    const row = cells[at[0] + i];
    if (!row) return;
    line.split("\t").forEach((value, j) => {
      const input = row[at[1] + j];
      if (!input || input.readOnly) return;
      input.value = value.trim();
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.dispatchEvent(new Event("change", { bubbles: true }));
    });
  });
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("table[data-grid]").forEach((table) => {
    const cells = gridCells(table);
    table.addEventListener("keydown", (event) => onKey(event, cells));
    table.addEventListener("paste", (event) => onPaste(event, cells));
  });
});

// Wide tables scroll sideways in a box of their own instead of widening the page (WCAG 1.4.10
// Reflow). While a table is wider than its box, the box is a named region that takes focus, so
// it can be scrolled from the keyboard; when the table fits, it is an ordinary block again.

function nameOf(table) {
  const caption = table.querySelector("caption");
  if (caption && caption.textContent.trim()) return caption.textContent.trim();
  for (let node = table.previousElementSibling; node; node = node.previousElementSibling) {
    if (/^H[1-6]$/.test(node.tagName)) return node.textContent.trim();
  }
  return "Table";
}

function fit(box) {
  const scrolls = box.scrollWidth > box.clientWidth + 1;
  if (scrolls) {
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", `${box.dataset.name} (scrolls sideways)`);
    box.tabIndex = 0;
  } else {
    box.removeAttribute("role");
    box.removeAttribute("aria-label");
    box.removeAttribute("tabindex");
  }
}

export function scrollWideTables(root = document) {
  const boxes = [];
  for (const table of root.querySelectorAll("table.govuk-table")) {
    if (table.parentElement.classList.contains("app-table-scroll")) continue;
    const box = document.createElement("div");
    box.className = "app-table-scroll";
    box.dataset.name = nameOf(table);
    table.replaceWith(box);
    box.append(table);
    boxes.push(box);
  }
  if (!boxes.length) return;
  boxes.forEach(fit);
  if ("ResizeObserver" in globalThis) {
    const observer = new ResizeObserver((entries) => entries.forEach((entry) => fit(entry.target)));
    boxes.forEach((box) => observer.observe(box));
  }
}

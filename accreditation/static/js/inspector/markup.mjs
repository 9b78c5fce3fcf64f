// Marking up a photo on the tablet: an arrow or a circle drawn on it with a finger, a stylus or
// the mouse, saved as a new JPEG of the same item (the original stays). Loaded only when an
// inspector asks to mark a photo up (import() in inspection.mjs); kept for offline use.
import { strokes } from "./canvas.mjs";

const LONGEST = 1600; // as photos are kept on the tablet (inspection.mjs downscale)

function element(tag, properties = {}, ...children) {
  const node = Object.assign(document.createElement(tag), properties);
  node.append(...children);
  return node;
}

function arrow(pen, [x0, y0], [x1, y1]) {
  const angle = Math.atan2(y1 - y0, x1 - x0);
  const head = pen.lineWidth * 5;
  pen.beginPath();
  pen.moveTo(x0, y0);
  pen.lineTo(x1, y1);
  pen.moveTo(x1 - head * Math.cos(angle - 0.5), y1 - head * Math.sin(angle - 0.5));
  pen.lineTo(x1, y1);
  pen.lineTo(x1 - head * Math.cos(angle + 0.5), y1 - head * Math.sin(angle + 0.5));
  pen.stroke();
}

function circle(pen, [x0, y0], [x1, y1]) {
  pen.beginPath();
  pen.arc(x0, y0, Math.max(4, Math.hypot(x1 - x0, y1 - y0)), 0, 2 * Math.PI);
  pen.stroke();
}

// Shows the mark-up panel in `entry`; resolves with the marked-up JPEG, or null if cancelled.
export async function markUp(entry, blob, alt) {
  const bitmap = await createImageBitmap(blob);
  const scale = Math.min(1, LONGEST / Math.max(bitmap.width, bitmap.height));
  const canvas = element("canvas", { className: "app-markup__canvas", width: Math.round(bitmap.width * scale),
                                     height: Math.round(bitmap.height * scale) });
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", `${alt}, being marked up`);
  const pen = canvas.getContext("2d");
  const shapes = [];
  let current = null;
  const draw = () => {
    pen.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    Object.assign(pen, { strokeStyle: "#ffdd00", lineWidth: Math.max(4, canvas.width / 150), lineCap: "round" });
    for (const shape of current ? [...shapes, current] : shapes) (shape.tool === "arrow" ? arrow : circle)(pen, shape.from, shape.to);
  };
  draw();
  const id = `markup-${entry.dataset.photo || entry.dataset.evidence}`;
  const tool = (value, text, checked) => element("div", { className: "govuk-radios__item" },
    element("input", { className: "govuk-radios__input", type: "radio", name: id, id: `${id}-${value}`, value, checked }),
    element("label", { className: "govuk-label govuk-radios__label", htmlFor: `${id}-${value}`, textContent: text }));
  const legend = element("legend", { className: "govuk-fieldset__legend govuk-fieldset__legend--s", textContent: "Draw" });
  const tools = element("fieldset", { className: "govuk-fieldset" }, legend,
    element("div", { className: "govuk-radios govuk-radios--small govuk-radios--inline" },
      tool("arrow", "An arrow (drag from its tail to where it points)", true), tool("circle", "A circle (drag from its centre outwards)", false)));
  const state = element("p", { className: "govuk-body-s" });
  state.setAttribute("aria-live", "polite");
  const button = (text, secondary) => element("button", {
    type: "button", textContent: text, className: `govuk-button govuk-!-margin-bottom-0${secondary ? " govuk-button--secondary" : ""}` });
  const save = button("Save marked-up photo");
  const again = button("Start again", true);
  const cancel = button("Cancel", true);
  const heading = element("p", { className: "govuk-body govuk-!-font-weight-bold", tabIndex: -1, textContent: `Mark up ${alt[0].toLowerCase()}${alt.slice(1)}` });
  const panel = element("div", { className: "app-markup" }, heading, element("div", { className: "govuk-form-group" }, tools), canvas, state,
    element("div", { className: "govuk-button-group govuk-!-margin-bottom-0" }, save, again, cancel));
  entry.append(panel); // inside its list item: a list holds only items
  heading.focus();
  strokes(canvas, {
    onStart(point) { current = { tool: tools.querySelector("input:checked").value, from: point, to: point }; },
    onMove(point) { current.to = point; draw(); },
    onEnd(point) {
      current.to = point;
      shapes.push(current);
      current = null;
      draw();
      state.textContent = `${shapes.length} ${shapes.length === 1 ? "mark" : "marks"} drawn.`;
    },
  });
  again.addEventListener("click", () => { shapes.length = 0; draw(); state.textContent = "Marks cleared."; });
  return new Promise((resolve) => {
    const close = (result) => { panel.remove(); bitmap.close?.(); resolve(result); };
    cancel.addEventListener("click", () => close(null));
    save.addEventListener("click", () => {
      if (!shapes.length) {
        state.textContent = "Draw an arrow or a circle on the photo first.";
        return;
      }
      canvas.toBlob((marked) => close(marked), "image/jpeg", 0.85);
    });
  });
}

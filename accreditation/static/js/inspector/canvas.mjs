// Drawing on a <canvas> with a finger, a stylus or the mouse (Pointer Events): the signature
// pad and the photo mark-up. Loaded only on the pages that draw (import() in inspection.mjs).

// Where a pointer is, in the canvas's own pixels (it may be shown smaller or larger).
export function at(canvas, event) {
  const box = canvas.getBoundingClientRect();
  return [(event.clientX - box.left) * (canvas.width / box.width),
          (event.clientY - box.top) * (canvas.height / box.height)];
}

// Calls onStart(point), onMove(point) and onEnd(point) for each stroke; the page does not
// scroll while a finger draws on the canvas (touch-action: none, set in the CSS).
export function strokes(canvas, { onStart, onMove, onEnd }) {
  let active = null;
  canvas.addEventListener("pointerdown", (event) => {
    if (active !== null) return;
    active = event.pointerId;
    try { canvas.setPointerCapture(event.pointerId); } catch { /* the pointer has gone already */ }
    event.preventDefault();
    onStart(at(canvas, event));
  });
  canvas.addEventListener("pointermove", (event) => {
    if (event.pointerId === active) onMove(at(canvas, event));
  });
  const end = (event) => {
    if (event.pointerId !== active) return;
    active = null;
    onEnd?.(at(canvas, event));
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
}

// A signature pad: free lines; says whether anything was drawn.
export function signaturePad(canvas) {
  const pen = canvas.getContext("2d");
  let drawn = false;
  const style = () => Object.assign(pen, { lineWidth: 3, lineCap: "round", lineJoin: "round", strokeStyle: "#0b0c0c" });
  style();
  strokes(canvas, {
    onStart([x, y]) { pen.beginPath(); pen.moveTo(x, y); pen.lineTo(x + 0.1, y); pen.stroke(); drawn = true; },
    onMove([x, y]) { pen.lineTo(x, y); pen.stroke(); },
  });
  return {
    get drawn() { return drawn; },
    clear() { pen.clearRect(0, 0, canvas.width, canvas.height); drawn = false; style(); },
    // The drawing as PNG, base64 (no "data:" prefix).
    png: () => canvas.toDataURL("image/png").split(",")[1],
  };
}

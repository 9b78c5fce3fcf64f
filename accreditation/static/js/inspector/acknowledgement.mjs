// The provider's acknowledgement on site (loaded by inspection.mjs on that page only): the
// representative signs on the canvas, or the inspector ticks that they declined. Kept on the
// tablet (store.mjs) and sent by the outbox, so it works without signal.
import * as store from "./store.mjs";
import * as outbox from "./outbox.mjs";
import { signaturePad } from "./canvas.mjs";

const $ = (selector, root = document) => root.querySelector(selector);

export function acknowledgementPage(root, summary) {
  const form = $("form[data-acknowledgement-form]", root);
  const box = $("[data-signature]", root);
  if (!form || !box) return;
  box.hidden = false;
  const canvas = $("[data-signature-pad]", box);
  const pad = signaturePad(canvas);
  const state = $("[data-signature-state]", box);
  canvas.addEventListener("pointerup", () => { state.textContent = "Signature drawn."; });
  $("[data-signature-clear]", box).addEventListener("click", () => {
    pad.clear();
    state.textContent = "Signature cleared.";
    canvas.focus();
  });
  const message = $("[data-acknowledgement-message]", form);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => (form.elements[name]?.value || "").trim() || null;
    const declined = Boolean(form.elements.declined?.checked);
    const problems = [];
    if (!declined && !value("name")) problems.push("Enter the name of the provider's representative");
    if (!declined && !value("role")) problems.push("Enter the representative's role");
    if (!declined && value("reason")) problems.push("Give a reason only when the representative declined to sign");
    if (declined && pad.drawn) problems.push("Clear the signature, or untick that the representative declined to sign");
    if (problems.length) {
      message.textContent = `${problems.join(". ")}.`;
      message.hidden = false;
      message.tabIndex = -1;
      message.focus();
      return;
    }
    await store.recordAcknowledgement({
      client_id: crypto.randomUUID(), link_id: root.dataset.acknowledgement, // a saved page is used again
      declined, name: value("name"), role: value("role"), reason: declined ? value("reason") : null,
      signature_png: !declined && pad.drawn ? pad.png() : null, signed_at: new Date().toISOString(),
    });
    await outbox.announce();
    outbox.sync();
    location.assign(summary);
  });
}

// The check-answers page: an acknowledgement kept on this tablet, not sent yet.
export async function showKept(link) {
  const node = $("[data-acknowledgement-status]");
  const kept = (await store.all("acknowledgements", link)).filter((a) => a.status !== "sent")
    .sort((a, b) => a.signed_at.localeCompare(b.signed_at)).pop();
  if (!node || !kept) return;
  const who = kept.declined ? "The provider's representative declined to sign"
    : `Signed by ${kept.name}, ${kept.role}`;
  const text = kept.status === "rejected" ? `${who}, but it was not accepted: ${kept.message}`
    : `${who}. Saved on this tablet, not sent yet.`;
  node.replaceChildren(Object.assign(document.createElement("p"), { className: "govuk-body", textContent: text }));
}

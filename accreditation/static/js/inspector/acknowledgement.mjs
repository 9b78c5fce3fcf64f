// The provider's acknowledgement on site (loaded by inspection.mjs on that page only): signed
// on the canvas, or declined. Kept on the tablet and sent by the outbox: it works offline.
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
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => (form.elements[name]?.value || "").trim() || null;
    const declined = Boolean(form.elements.declined?.checked);
    const problems = [!declined && !value("name") && "name", !declined && !value("role") && "role",
                      !declined && value("reason") && "reason", declined && pad.drawn && "declined"].filter(Boolean);
    showProblems(root, form, problems);
    if (problems.length) return;
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

// Problems shown as on every page: the page's error summary, each message beside its field,
// "Error: " before the title. None: cleared.
function showProblems(root, form, ids) {
  const summary = $("[data-tablet-problems]", root);
  root.querySelectorAll(".app-js-error").forEach((node) => node.remove());
  form.querySelectorAll(".govuk-form-group--error").forEach((group) => group.classList.remove("govuk-form-group--error"));
  form.querySelectorAll("[data-described-by]").forEach((field) => field.setAttribute("aria-describedby", field.dataset.describedBy));
  document.title = (ids.length ? "Error: " : "") + document.title.replace(/^Error: /, "");
  summary.hidden = !ids.length;
  summary.querySelectorAll("li").forEach((item) => { item.hidden = !ids.includes(item.dataset.problem); });
  if (!ids.length) return;
  for (const id of ids) {
    const field = form.elements[id];
    field.closest(".govuk-form-group").classList.add("govuk-form-group--error");
    const error = Object.assign(document.createElement("p"), { className: "govuk-error-message app-js-error", id: `${id}-error` });
    error.append(Object.assign(document.createElement("span"), { className: "govuk-visually-hidden", textContent: "Error: " }),
      $(`[data-problem="${id}"]`, summary).textContent);
    (field.type === "checkbox" ? field.closest(".govuk-checkboxes") : field).before(error);
    field.dataset.describedBy ??= field.getAttribute("aria-describedby") || "";
    field.setAttribute("aria-describedby", `${field.dataset.describedBy} ${error.id}`.trim());
  }
  summary.focus();
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

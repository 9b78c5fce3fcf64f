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
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const value = (name) => (form.elements[name]?.value || "").trim() || null;
    const declined = Boolean(form.elements.declined?.checked);
    const problems = [];
    if (!declined && !value("name")) problems.push(["name", "Enter the name of the provider's representative"]);
    if (!declined && !value("role")) problems.push(["role", "Enter the representative's role"]);
    if (!declined && value("reason")) problems.push(["reason", "Give a reason only when the representative declined to sign"]);
    if (declined && pad.drawn) problems.push(["declined", "Clear the signature, or untick that the representative declined to sign"]);
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

// Problems as the service's own pages show them: a GOV.UK error summary at the top linking to
// each field, the message beside the field, and "Error: " before the page's title. The summary takes the focus; none: all are cleared.
const element = (tag, className, ...children) => {
  const node = Object.assign(document.createElement(tag), { className });
  node.append(...children);
  return node;
};

function showProblems(root, form, problems) {
  root.querySelectorAll(".app-js-error").forEach((node) => node.remove());
  form.querySelectorAll(".govuk-form-group--error").forEach((group) => group.classList.remove("govuk-form-group--error"));
  form.querySelectorAll("[data-described-by]").forEach((field) => {
    field.setAttribute("aria-describedby", field.dataset.describedBy);
    if (!field.dataset.describedBy) field.removeAttribute("aria-describedby");
  });
  document.title = document.title.replace(/^Error: /, "");
  if (!problems.length) return;
  document.title = `Error: ${document.title}`;
  const list = element("ul", "govuk-list govuk-error-summary__list");
  for (const [id, text] of problems) {
    const link = element("a", "", text);
    link.href = `#${id}`;
    list.append(element("li", "", link));
    const field = form.elements[id];
    const group = field?.closest(".govuk-form-group");
    if (!group) continue;
    group.classList.add("govuk-form-group--error");
    const error = element("p", "govuk-error-message app-js-error",
      element("span", "govuk-visually-hidden", "Error: "), text);
    error.id = `${id}-error`;
    (field.type === "checkbox" ? field.closest(".govuk-checkboxes") : field).before(error);
    field.dataset.describedBy ??= field.getAttribute("aria-describedby") || "";
    field.setAttribute("aria-describedby", `${field.dataset.describedBy} ${error.id}`.trim());
  }
  const alert = element("div", "", element("h2", "govuk-error-summary__title", "There is a problem"),
    element("div", "govuk-error-summary__body", list));
  alert.setAttribute("role", "alert");
  const summary = element("div", "govuk-error-summary app-js-error", alert);
  summary.tabIndex = -1;
  root.prepend(summary);
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

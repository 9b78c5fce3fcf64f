// The inspector's pages on a tablet. Every answer, note and photo goes into IndexedDB the moment
// it is given (see store.mjs) and is sent by the outbox (outbox.mjs) when there is a connection;
// the page shows the tablet's copy over the server's, so a reload while offline loses nothing.
import * as store from "./store.mjs";
import * as outbox from "./outbox.mjs";

const PAGES = "inspector-pages-u"; // + the user's id: one cache of pages per person (service-worker.js)
const WHO = "inspector-user"; // whose pages the service worker may show
const WHO_KEY = "/inspections/signed-in-user";
const SIGN_OUT = "inspector-sign-out"; // a sign-out given without signal, for the service worker
const SIGN_OUT_KEY = "/inspections/sign-out-queued";
const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

const LIMIT_SECONDS = outbox.TIME_LIMIT / 1000;

// "3 answers and 1 photo": what is waiting to be sent.
const waitingText = (state) => [state.answers && plural(state.answers, "answer"),
                                state.photos && plural(state.photos, "photo"),
                                state.removals && plural(state.removals, "photo removal"),
                                state.acknowledgements && "the provider's acknowledgement"]
  .filter(Boolean).join(" and ");

function showStatus(state) {
  const box = $("[data-sync-status]");
  if (!box) return;
  const waiting = waitingText(state);
  const when = state.lastSync ? clockTime(new Date(state.lastSync)) : null;
  let text;
  const total = state.answers + state.photos + (state.removals || 0) + (state.acknowledgements || 0);
  if (state.signInNeeded && waiting) {
    text = `Sign in again to send ${total} saved ${state.photos || state.removals ? "answers and photos" : total === 1 ? "answer" : "answers"}.`;
  }
  else if (waiting) {
    const why = !state.online ? " You are offline: they will be sent when you have a connection."
      : state.timedOut ? " The connection is not answering: they will be sent when it does." : "";
    text = `${waiting} saved on this tablet, not sent yet.${why}`;
  }
  else if (state.rejected || !state.online) {
    text = `${state.online ? "" : "You are offline. "}Nothing is waiting to be sent.`;
  } else text = "Everything you entered has been sent.";
  if (when) text += ` Last sent at ${when}.`;
  if (state.conflicts) text += ` ${plural(state.conflicts, "answer")} changed on another device: see the marked items.`;
  if (state.rejected) text += ` ${plural(state.rejected, "answer")} not accepted: see the marked items.`;
  // A live region speaks whenever its text is written: write it only when it says something new.
  const line = $("[data-sync-text]", box);
  if (line.textContent !== text) line.textContent = text;
  $("[data-sign-in]", box).hidden = !state.signInNeeded;
  box.dataset.pending = String(total);
  box.classList.toggle("app-sync--waiting", Boolean(waiting));
}

// The time as GOV.UK writes it: 9:05am, 12:30pm.
function clockTime(date) {
  const hours = date.getHours();
  const minutes = String(date.getMinutes()).padStart(2, "0");
  return `${hours % 12 || 12}:${minutes}${hours < 12 ? "am" : "pm"}`;
}

// While the status line sticks to the top of the screen, whatever gets focus is scrolled into
// view below it, never under it (WCAG 2.4.11).
function keepFocusInSight(box) {
  const pad = () => {
    const sticky = getComputedStyle(box).position === "sticky" && !box.hidden;
    document.documentElement.style.scrollPaddingTop = sticky ? `${box.offsetHeight + 8}px` : "";
  };
  // Measured once the page is laid out (the observer's first call), never forcing a layout.
  if ("ResizeObserver" in globalThis) new ResizeObserver(pad).observe(box);
  else requestAnimationFrame(pad);
  addEventListener("resize", pad);
}

// --- the inspection page ------------------------------------------------------------------------

// A number as a person writes one, read as the server reads it (accreditation/numbers.py):
// "1,500", "6.51", "-3"; anything else ("1e9", "twelve") is sent as typed, and refused there.
const TYPED_NUMBER = /^([-\u2212])?£?([0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?:\.([0-9]*))?$/;

function typedNumber(text) {
  const match = TYPED_NUMBER.exec(text);
  if (!match || !(match[2] || match[3])) return text;
  const number = Number(`${(match[2] || "0").replaceAll(",", "")}.${match[3] || "0"}`);
  return match[1] && number ? -number : number;
}

function readForm(form) {
  const type = form.dataset.type;
  const checked = $("input[name=value]:checked", form);
  const field = $("[name=value]:not([type=radio])", form);
  let value = checked ? checked.value : field ? field.value.trim() : "";
  if (value === "") value = null;
  else if (type === "graded" && /^\d$/.test(value)) value = Number(value);
  else if (type === "number") value = typedNumber(value);
  const note = ($("[name=note]", form)?.value || "").trim() || null;
  return { value, note };
}

function writeForm(form, item) {
  const value = item.value == null ? "" : String(item.value);
  const radio = $$("input[name=value][type=radio]", form);
  radio.forEach((input) => { input.checked = input.value === value; });
  const field = $("[name=value]:not([type=radio])", form);
  if (field && document.activeElement !== field) field.value = value;
  const note = $("[name=note]", form);
  if (note && document.activeElement !== note) note.value = item.note || "";
}

function label(form, value) {
  const input = $$("input[name=value][type=radio]", form).find((i) => i.value === String(value));
  return input ? $(`label[for="${input.id}"]`, form).textContent.trim() : value == null ? "no answer" : String(value);
}

function showItem(form, item) {
  const state = $("[data-state]", form);
  const conflict = $("[data-local-conflict]", form);
  let text = "";
  if (item?.pending) text = "Saved on this tablet, not sent yet.";
  else if (item?.conflict) text = "Not applied: another device changed this answer first.";
  else if (item?.rejected) text = `Not accepted: ${item.rejected}`;
  else if (item && item.revision) text = "Sent.";
  if (state) state.textContent = text;
  if (conflict) {
    conflict.hidden = !item?.conflict;
    if (item?.conflict) {
      conflict.textContent = `Another device changed this answer to “${label(form, item.conflict.value)}”. ` +
        "Both answers are kept: when you have a connection, reload this page to choose which to keep.";
    }
  }
  form.classList.toggle("app-item--answered", readForm(form).value != null);
}

// What an answer earns and could have earned, as the server's judge() counts it
// (accreditation/checklists/scoring.py): weight x 3 for yes or an in-range number, weight x
// grade for a grade; nothing earned for no, or a number out of range; null: not applicable.
function points(form, value) {
  const { weight, type, passMin, passMax } = form.dataset;
  const full = Number(weight) * 3;
  if (value === "not_applicable") return null;
  if (type === "yes_no") return [value === "yes" ? full : 0, full];
  if (type === "graded") return [Number.isInteger(value) && value >= 0 && value <= 3 ? Number(weight) * value : 0, full];
  const inRange = typeof value === "number" && Number.isFinite(value) && value >= 0
    && (passMin === undefined || value >= Number(passMin)) && (passMax === undefined || value <= Number(passMax));
  return [inRange ? full : 0, full];
}

// A mark as the server writes it (checklists/results.py percent): rounded down to a tenth.
const percent = (earned, possible) => {
  const tenths = Math.floor((earned * 1000) / possible);
  return `${Math.floor(tenths / 10)}.${tenths % 10}`;
};

function showProgress() {
  const counts = new Map(); // section -> [answered, total, scored unanswered, earned, possible]
  let answered = 0;
  let next = null;
  const forms = $$("form[data-item]");
  for (const form of forms) {
    const { value } = readForm(form);
    const done = value != null;
    const count = counts.get(form.dataset.section) || [0, 0, 0, 0, 0];
    count[0] += done ? 1 : 0;
    count[1] += 1;
    if (form.dataset.weight !== undefined) {
      const earned = done ? points(form, value) : [0, 0];
      if (!done) count[2] += 1;
      if (earned) { count[3] += earned[0]; count[4] += earned[1]; }
    }
    counts.set(form.dataset.section, count);
    answered += done ? 1 : 0;
    if (!done && !next) next = form;
  }
  const write = (node, text) => { if (node.textContent !== text) node.textContent = text; };
  const total = $("[data-progress]");
  if (total) write(total, `${answered} of ${forms.length} answered`);
  $$("[data-section-progress]").forEach((node) => {
    const [done, all] = counts.get(node.dataset.sectionProgress) || [0, 0];
    write(node, `${done} of ${all}`);
  });
  // A section's score once every scored item in it is answered.
  $$("[data-section-mark]").forEach((node) => {
    const [, , left, earned, possible] = counts.get(node.dataset.sectionMark) || [0, 0, 1, 0, 0];
    node.hidden = left > 0 || possible === 0;
    if (!node.hidden) write(node, `Section score: ${percent(earned, possible)}%`);
  });
  const link = $("[data-next-unanswered]");
  if (link) {
    link.hidden = !next;
    if (next) link.setAttribute("href", `#${next.id}`);
  }
}

// A link to an item in a folded section opens the section first.
function unfold(id) {
  for (let node = document.getElementById(id); node; node = node.parentElement?.closest("details")) {
    if (node.tagName === "DETAILS") node.open = true;
  }
}

async function save(form) {
  const { value, note } = readForm(form);
  const answer = JSON.stringify([value, note]);
  if (answer === form.dataset.saved) return; // nothing new (a blur after typing, say)
  form.dataset.saved = answer;
  const link = form.dataset.link; // "12" (a property) or "files/7" (a sampled file)
  const item = await store.recordAnswer(link, form.dataset.item, value, note, Number(form.dataset.revision));
  showItem(form, { ...item, pending: true });
  showProgress();
  await outbox.announce();
  outbox.sync();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.ready.then((registration) => registration.sync?.register("inspection-outbox"))
      .catch(() => undefined);
  }
}

// Downscales a photo on the tablet (longest side 1600 px, JPEG 0.8) before it is kept and sent;
// a format the browser cannot draw (HEIC on some tablets) is kept as it is.
async function downscale(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close?.();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.8));
    return { blob, name: file.name.replace(/\.[^.]*$/, "") + ".jpg" };
  } catch {
    return { blob: file, name: file.name };
  }
}

// "Photo 2 of fire door, taken 10:14am": each thumbnail's text alternative, as the server
// writes it (stages/views.py photo_alt).
function photoAlt(list, number, at) {
  const title = list.dataset.title || "this item";
  const named = title.length > 1 && /[a-z]/.test(title[1]) ? title[0].toLowerCase() + title.slice(1) : title;
  return `Photo ${number} of ${named}, taken ${clockTime(new Date(at))}`;
}

// Numbers the thumbnails again after one comes or goes, so "Photo 2" stays the second.
function renumber(list) {
  $$("li[data-photo], li[data-evidence]", list).filter((entry) => !entry.hidden).forEach((entry, index) => {
    const image = $("img", entry);
    if (!image) return;
    image.alt = image.alt.replace(/^Photo \d+/, `Photo ${index + 1}`);
    const hidden = $("[data-remove-photo] .govuk-visually-hidden", entry);
    if (hidden) hidden.textContent = ` ${image.alt[0].toLowerCase()}${image.alt.slice(1)}`;
  });
}

// "Remove" and "Mark up" beside a thumbnail, each naming its photo for screen readers.
function photoButton(text, data, alt) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "govuk-button govuk-button--secondary govuk-!-margin-bottom-0 app-photos__remove";
  button.dataset[data] = "";
  button.append(text, Object.assign(document.createElement("span"), {
    className: "govuk-visually-hidden", textContent: ` ${alt[0].toLowerCase()}${alt.slice(1)}` }));
  return button;
}

const removeLink = (alt) => photoButton("Remove", "removePhoto", alt);

// Mark-up is offered for the photos this tablet holds (taken here): their full image is here.
function offerMarkUp(entry) {
  const image = $("img", entry);
  if (!image || $("[data-mark-up]", entry)) return;
  entry.append(photoButton("Mark up", "markUp", image.alt));
}

async function markUpPhoto(form, entry) {
  const photo = await store.get("photos", entry.dataset.photo);
  if (!photo?.blob) return;
  const { markUp } = await import("./markup.mjs");
  const marked = await markUp(entry, photo.blob, $("img", entry).alt);
  if (!marked) {
    $("[data-mark-up]", entry)?.focus();
    return;
  }
  const name = `${(photo.name || "photo").replace(/\.[^.]*$/, "")}-marked-up.jpg`;
  const copy = await store.recordPhoto(form.dataset.link, form.dataset.item, marked, name,
                                       { marks_up: photo.client_id });
  showPhoto(form, copy);
  const added = $(`[data-photo="${copy.client_id}"]`, form);
  const state = $("[data-state]", form);
  if (state) state.textContent = "Marked-up photo saved on this tablet.";
  $("[data-mark-up]", added)?.focus();
  await outbox.announce();
  outbox.sync();
}

function showPhoto(form, photo) {
  const list = $("[data-photos]", form);
  if (!list || $(`[data-photo="${photo.client_id}"]`, list) || !photo.blob) return;
  const entry = document.createElement("li");
  entry.className = "app-photos__entry";
  entry.dataset.photo = photo.client_id;
  const image = document.createElement("img");
  image.src = URL.createObjectURL(photo.blob);
  image.alt = photoAlt(list, $$("li", list).filter((li) => !li.hidden).length + 1, photo.at);
  image.className = "app-photo";
  const text = document.createElement("span");
  text.className = "govuk-body-s";
  text.dataset.photoState = "";
  text.textContent = photo.status === "pending" ? " Saved on this tablet, not sent yet."
    : photo.status === "rejected" ? ` Not accepted: ${photo.message}` : " Sent.";
  entry.append(image, text);
  if (form.querySelector("input[type=file]")) {
    entry.append(removeLink(image.alt));
    offerMarkUp(entry);
  }
  list.append(entry);
}

// "Remove": asked on the page (it works offline), then forgotten here or sent as a removal.
function askToRemove(form, entry) {
  $$(".app-photos__confirm").forEach((other) => other.remove());
  const image = $("img", entry);
  const box = document.createElement("div");
  box.className = "app-photos__confirm";
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", "Remove this photo?");
  const question = document.createElement("p");
  question.className = "govuk-body-s govuk-!-font-weight-bold govuk-!-margin-bottom-1";
  question.tabIndex = -1;
  question.textContent = `Remove ${image ? image.alt[0].toLowerCase() + image.alt.slice(1) : "this photo"}? ` +
    "It will no longer count as a photo of this item.";
  const yes = Object.assign(document.createElement("button"), {
    type: "button", className: "govuk-button govuk-button--warning govuk-!-margin-bottom-0", textContent: "Yes, remove it" });
  const no = Object.assign(document.createElement("button"), {
    type: "button", className: "govuk-button govuk-button--secondary govuk-!-margin-bottom-0", textContent: "Keep it" });
  const buttons = document.createElement("div");
  buttons.className = "govuk-button-group govuk-!-margin-bottom-0";
  buttons.append(yes, no);
  box.append(question, buttons);
  entry.append(box);
  question.focus();
  no.addEventListener("click", () => {
    box.remove();
    $("[data-remove-photo]", entry)?.focus();
  });
  yes.addEventListener("click", async () => {
    const list = entry.closest("[data-photos]");
    await store.removePhoto(form.dataset.link, form.dataset.item, entry.dataset.photo,
                            Number(entry.dataset.evidence) || null);
    entry.hidden = true;
    box.remove();
    renumber(list);
    const state = $("[data-state]", form);
    if (state) state.textContent = "Photo removed.";
    (form.querySelector("input[type=file]") || $("[data-state]", form))?.focus();
    await outbox.announce();
    outbox.sync();
  });
}

async function addPhotos(form, input) {
  for (const file of input.files) {
    const { blob, name } = await downscale(file);
    const photo = await store.recordPhoto(form.dataset.link, form.dataset.item, blob, name);
    showPhoto(form, photo);
  }
  input.value = "";
  await outbox.announce();
  outbox.sync();
}

async function inspectionPage(root) {
  const link = root.dataset.inspection;
  outbox.showing(link);
  const forms = new Map($$("form[data-item]").map((form) => [form.dataset.item, form]));
  // The tablet's copy wins over the page while it has something the server has not confirmed,
  // or when the page is an older saved copy; otherwise the page is newer and the tablet learns it.
  for (let item of await store.all("items", link)) {
    const form = forms.get(item.item_id);
    if (!form) continue;
    const pageRevision = Number(form.dataset.revision);
    // A conflict the page shows settled (the server's answer moved on since, and none is open):
    // the answer kept is the server's, on this tablet too.
    if (item.conflict && !item.pending && pageRevision > (item.conflict.revision || 0)
        && !$("[data-server-conflict]", form)) {
      const shown = readForm(form);
      item = await store.adopt(link, item.item_id, shown.value, shown.note, pageRevision);
    }
    if (item.pending || item.conflict || item.rejected || (item.revision || 0) >= pageRevision) {
      writeForm(form, item);
      showItem(form, item);
    }
  }
  for (const photo of await store.all("photos", link)) {
    const form = forms.get(photo.item_id);
    if (!form) continue;
    if (photo.removal && photo.removal !== "rejected") {
      // Taken back on this tablet: not shown, even by a page saved before.
      const shown = $(`[data-photo="${photo.client_id}"]`, form)
        || (photo.evidence_id && $(`[data-evidence="${photo.evidence_id}"]`, form));
      if (shown) shown.hidden = true;
      continue;
    }
    const sent = $(`[data-evidence="${photo.evidence_id}"]`, form);
    if (photo.status !== "sent" || !sent) showPhoto(form, photo);
    else if (photo.blob && form.querySelector("input[type=file]")) offerMarkUp(sent);
  }
  $$("[data-photos]").forEach(renumber);
  showProgress();
  document.addEventListener("click", (event) => {
    const target = event.target.closest?.("a[href^='#']");
    if (target) unfold(decodeURIComponent(target.getAttribute("href").slice(1)));
  });
  if (location.hash) unfold(decodeURIComponent(location.hash.slice(1)));
  // One listener of each kind for the whole checklist, not one per item: the page is ready
  // sooner on a slow tablet. What an item held is noted when someone first reaches it, so an
  // answer is sent only when it changed.
  const itemOf = (event) => event.target.closest?.("form[data-item]");
  const noteSaved = (event) => {
    const form = itemOf(event);
    if (form && form.dataset.saved === undefined) {
      const { value, note } = readForm(form);
      form.dataset.saved = JSON.stringify([value, note]);
    }
  };
  for (const kind of ["pointerdown", "keydown", "focusin"]) root.addEventListener(kind, noteSaved, true);
  const timers = new WeakMap();
  root.addEventListener("click", (event) => {
    const mark = event.target.closest?.("[data-mark-up]");
    if (mark && itemOf(event)) {
      markUpPhoto(itemOf(event), mark.closest("li")).catch((error) => console.warn("Mark-up failed", error));
      return;
    }
    const remove = event.target.closest?.("[data-remove-photo]");
    const form = remove && itemOf(event);
    if (!form) return;
    event.preventDefault(); // without the script, the link asks on a page of its own
    askToRemove(form, remove.closest("li"));
  });
  root.addEventListener("submit", (event) => {
    const form = itemOf(event);
    if (!form || event.submitter?.name === "keep") return; // settling a conflict: a plain post
    event.preventDefault();
    save(form);
  });
  root.addEventListener("change", (event) => {
    const form = itemOf(event);
    if (!form) return;
    clearTimeout(timers.get(form));
    if (event.target.type === "file") addPhotos(form, event.target);
    else save(form);
  });
  root.addEventListener("input", (event) => {
    const form = itemOf(event);
    if (!form || event.target.type === "radio" || event.target.type === "file") return;
    clearTimeout(timers.get(form));
    timers.set(form, setTimeout(() => save(form), 800));
    showProgress();
  });
  outbox.onStatus(async () => {
    for (const item of await store.all("items", link)) {
      const form = forms.get(item.item_id);
      if (form) showItem(form, item);
    }
    for (const photo of await store.all("photos", link)) {
      const node = $(`[data-photo="${photo.client_id}"] [data-photo-state]`);
      if (node && photo.status === "sent") node.textContent = " Sent.";
      else if (node && photo.status === "rejected") node.textContent = ` Not accepted: ${photo.message}`;
    }
  });
}

// --- the summary page: send everything before submitting ------------------------------------------

// What the tablet holds over what the page says (the page is the server's, perhaps an older
// saved copy): answers not sent yet, and any the tablet knows to be as new as the page's.
async function showTabletAnswers(link) {
  const rows = new Map($$("[data-summary-item]").map((row) => [row.dataset.summaryItem, row]));
  for (const item of await store.all("items", link)) {
    const row = rows.get(item.item_id);
    if (!row || !(item.pending || (item.revision || 0) > Number(row.dataset.revision))) continue;
    const labels = row.dataset.labels ? JSON.parse(row.dataset.labels) : {};
    const shown = item.value == null || item.value === "" ? "Not answered"
      : (labels[String(item.value)] || String(item.value)) + (row.dataset.unit ? ` ${row.dataset.unit}` : "");
    const cell = $("[data-summary-value]", row);
    cell.textContent = item.pending ? `${shown} (saved on this tablet, not sent yet)` : shown;
    if (item.note) {
      cell.append(document.createElement("br"), Object.assign(document.createElement("span"), {
        className: "govuk-body-s", textContent: `Note: ${item.note}` }));
    }
    row.dataset.answered = String(shown !== "Not answered");
  }
  const progress = $("[data-summary-progress]");
  if (progress && rows.size) {
    const answered = [...rows.values()].filter((row) => row.dataset.answered === "true"
      || (row.dataset.answered === undefined && !$(".app-muted", row))).length;
    progress.textContent = `${answered} of ${rows.size} answered.`;
  }
}

// The list: each inspection's progress as this tablet has it.
async function showTabletProgress() {
  for (const node of $$("[data-progress-of]")) {
    const answered = new Set(node.dataset.answeredItems.split(" ").filter(Boolean));
    for (const item of await store.all("items", node.dataset.progressOf)) {
      if (item.value == null || item.value === "") answered.delete(item.item_id);
      else answered.add(item.item_id);
    }
    const text = `${answered.size} of ${node.dataset.total} answered`;
    if (node.textContent !== text) node.textContent = text;
  }
}

function summaryPage(form) {
  const link = location.pathname.replace(/^\/inspections\/|\/summary$/g, "");
  outbox.showing(link);
  showTabletAnswers(link).catch((error) => console.warn("Could not show this tablet's answers", error));
  if ($("[data-acknowledgement-status]")) {
    import("./acknowledgement.mjs").then((module) => module.showKept(link))
      .catch((error) => console.warn("Could not show the acknowledgement kept here", error));
  }
  const message = $("[data-submit-message]");
  const button = $("button[type=submit]", form);
  const say = (text) => {
    message.hidden = !text;
    message.textContent = text;
  };
  form.addEventListener("submit", async (event) => {
    if (form.dataset.ready) return;
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true; // one send at a time; always given back below
    say("Sending your answers from this tablet before submitting…");
    let state;
    try {
      state = await outbox.syncWithin();
    } finally {
      button.disabled = false;
    }
    const waiting = waitingText(state);
    if (waiting) {
      const stays = `${waiting} saved on this tablet, not sent yet.`;
      say(!state.online ? `You are offline. ${stays} Submit when you have a connection.`
        : state.timedOut ? `The service did not answer within ${LIMIT_SECONDS} seconds. ${stays} ` +
          "Submit again when you have a better connection."
        : `${stays} Try again in a moment.`);
      button.focus();
      return;
    }
    say("");
    form.dataset.ready = "1";
    form.requestSubmit();
    // The submission gets the same time limit. Submitting again is safe: it counts once.
    setTimeout(() => {
      window.stop(); // the page is still here: the server has not answered
      delete form.dataset.ready;
      say(`The service did not answer within ${LIMIT_SECONDS} seconds. Your answers have been sent: ` +
        "submit again when you have a better connection (the inspection is submitted only once).");
      button.focus();
    }, outbox.TIME_LIMIT);
  });
}

// --- the list: keep every assigned inspection on the tablet for working offline -------------------

async function savePage(cache, path) {
  try {
    const page = await fetch(path, { credentials: "same-origin" });
    if (!page.ok || page.redirected) return false;
    await cache.put(path, page);
    return true;
  } catch {
    return false; // the connection dropped: said below, tried again next time
  }
}

async function keepForOffline() {
  if (!navigator.onLine || !("caches" in globalThis) || !("serviceWorker" in navigator)) return;
  const user = store.currentUser();
  const response = await outbox.apiGet("/api/v1/inspector/inspections");
  if (!response.ok) return;
  const cache = await caches.open(PAGES + user);
  const data = await response.clone().json();
  await savePage(cache, "/inspections/"); // this list too
  await cache.put("/api/v1/inspector/inspections", response);
  const kinds = new Set(data.contents.map((inspection) => inspection.checklist.kind));
  for (const kind of kinds) {
    const checklist = await outbox.apiGet(`/api/v1/checklists/${kind}`);
    if (checklist.ok) await cache.put(`/api/v1/checklists/${kind}`, checklist);
  }
  let saved = 0;
  let missed = 0;
  for (const inspection of data.contents) {
    if (inspection.submitted) continue; // nothing more to enter: not needed on site
    const paths = [`/inspections/${inspection.path}`, `/inspections/${inspection.path}/summary`];
    if (inspection.kind === "property") paths.push(`/inspections/${inspection.path}/acknowledgement`);
    const kept = await Promise.all(paths.map((path) => savePage(cache, path)));
    if (kept.every(Boolean)) saved += 1;
    else missed += 1;
  }
  // Saved pages open without signal only through a working service worker that knows whose
  // they are: wait for it, and tell it who is signed in (it otherwise learns that only from a
  // page opened through it, which the first page on a fresh tablet never is).
  await navigator.serviceWorker.ready;
  await (await caches.open(WHO)).put(WHO_KEY, new Response(user));
  await store.meta("kept_for_offline", new Date().toISOString());
  const note = $("[data-offline-note]");
  if (note) {
    let text = saved || !missed ? `${plural(saved, "inspection")} saved on this tablet for working without signal.` : "";
    if (missed) text += ` ${plural(missed, "inspection")} could not be saved: open this page again while you have a connection.`;
    note.textContent = text.trim();
  }
  document.documentElement.dataset.offlineReady = String(!missed);
}

// --- a shared tablet: signing out -----------------------------------------------------------------

// Forgets on this tablet what the server already has: saved pages, and (of the signed-in person,
// or of everyone once no one is signed in) answers and photos sent. Unsent ones stay, kept apart
// for their author, and are sent when that person next signs in here.
async function forgetOnThisTablet(everyone) {
  const kept = await store.forgetSent({ everyone });
  if ("caches" in globalThis) {
    const names = (await caches.keys()).filter((name) => name === WHO || name.startsWith(PAGES));
    await Promise.all(names.filter((name) => everyone || name === WHO || name === PAGES + store.currentUser())
      .map((name) => caches.delete(name)));
  }
  return kept;
}

// Signing out from a tablet page: what is waiting is sent first; what cannot be, the inspector
// is told of and chooses (nothing unsent is lost). The saved pages go once the server has ended
// the session (the signed-out page removes them).
// The server's answer (ok: the signed-out page, or the sign-in page when the session had
// ended already), or null without a connection or an answer in time.
async function signOutNow(form) {
  try {
    return await outbox.within(form.action, {
      method: "POST", body: new FormData(form), credentials: "same-origin" });
  } catch {
    return null;
  }
}

// Without a connection: signed out on this tablet at once (no page of this person's is shown
// here from now, the tablet's token is forgotten, nothing more is sent), and on the server
// when the tablet next has a connection (the service worker sends the sign-out then).
async function signOutLater(box, form) {
  outbox.stop();
  const queued = JSON.stringify({ user: store.currentUser(), session: box.dataset.session || "",
                                  limit: outbox.TIME_LIMIT });
  await (await caches.open(SIGN_OUT)).put(SIGN_OUT_KEY, new Response(queued));
  await caches.delete(WHO);
  await store.forgetToken();
  navigator.serviceWorker?.ready.then((registration) => registration.sync?.register("inspection-sign-out"))
    .catch(() => undefined);
  const said = $("template[data-signed-out-here]").content.cloneNode(true);
  $(navigator.onLine ? "[data-offline]" : "[data-not-answering]", said).remove();
  const heading = $("h1", said);
  $("main").replaceChildren(said);
  box.hidden = true;
  $("form.app-sign-out")?.remove();
  heading.focus();
  document.documentElement.dataset.signedOutHere = "true";
  // With a connection again: the sign-out is sent from here (the service worker sends it too,
  // should this page be closed first), then the signed-out page removes the saved pages.
  let trying = false;
  const finish = async () => {
    if (trying) return;
    trying = true;
    const response = await signOutNow(form);
    trying = false;
    if (response?.ok) await caches.delete(SIGN_OUT);
    // Refused (the form's token no longer holds: the session ended meanwhile, say): the
    // service worker checks the session and sends the sign-out with a fresh token on the way.
    if (response) location.assign("/inspections/signed-out");
    else if (navigator.onLine) setTimeout(finish, 5000);
  };
  addEventListener("online", finish);
  if (navigator.onLine) setTimeout(finish, 5000); // the server did not answer in time
}

function interceptSignOut(box) {
  const form = $("form.app-sign-out");
  const warning = $("[data-sign-out-warning]");
  if (!form || !warning) return;
  const button = $("button", form);
  const signOut = async () => {
    warning.hidden = true;
    if ((await signOutNow(form))?.ok) location.assign("/inspections/signed-out");
    else await signOutLater(box, form);
  };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true; // one sign-out at a time
    const state = await outbox.syncWithin().finally(() => { button.disabled = false; });
    const unsent = state.answers + state.photos + state.removals + state.acknowledgements;
    if (!unsent) {
      await signOut();
      return;
    }
    const what = waitingText(state);
    $("[data-sign-out-text]", warning).textContent = `${what} ${unsent === 1 ? "has" : "have"} not been sent yet. ` +
      `Sign out anyway? ${unsent === 1 ? "It" : "They"} will be kept on this tablet and sent when you next sign in here.`;
    warning.hidden = false;
    warning.focus();
  });
  $("[data-sign-out-confirm]", warning).addEventListener("click", signOut);
  $("[data-sign-out-cancel]", warning).addEventListener("click", () => {
    warning.hidden = true;
    button.focus(); // back where the person was
  });
}

const whenIdle = (work) => ("requestIdleCallback" in globalThis
  ? requestIdleCallback(work, { timeout: 2000 }) : setTimeout(work, 200));

async function main() {
  if (!("indexedDB" in globalThis)) {
    const box = $("[data-sync-status]");
    if (box) box.hidden = true; // nothing is kept on this device: plain forms only
    return;
  }
  if ($("[data-signed-out]")) {
    await forgetOnThisTablet(true);
    document.documentElement.dataset.forgotten = "true";
    return;
  }
  const box = $("[data-sync-status]");
  if (!box?.dataset.user) return;
  store.setUser(box.dataset.user);
  document.documentElement.classList.add("app-js");
  box.hidden = false;
  keepFocusInSight(box);
  await store.forgetOthers().catch((error) => console.warn("Could not tidy this tablet", error));
  interceptSignOut(box);
  outbox.onStatus(showStatus);
  // Setting up for working offline can wait until the page is ready to use.
  whenIdle(() => {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("/inspections/service-worker.js", { scope: "/inspections/" })
        .catch((error) => console.warn("Working offline is not available", error));
    }
    navigator.storage?.persist?.().catch(() => undefined);
  });
  const inspection = $("[data-inspection]");
  if (inspection) await inspectionPage(inspection);
  const submit = $("form[data-submit-inspection]");
  if (submit) summaryPage(submit);
  const acknowledgement = $("[data-acknowledgement]");
  if (acknowledgement) {
    outbox.showing(acknowledgement.dataset.acknowledgement);
    (await import("./acknowledgement.mjs")).acknowledgementPage(
      acknowledgement, location.pathname.replace(/acknowledgement$/, "summary"));
  }
  await outbox.start();
  if ($("[data-inspection-list]")) await showTabletProgress().catch(() => undefined);
  if ($("[data-inspection-list]")) keepForOffline().catch((error) => console.warn("Not kept for offline use", error));
}

main();

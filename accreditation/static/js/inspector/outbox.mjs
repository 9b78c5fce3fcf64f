// Sends what the tablet saved to the server: answers in batches, then photos, then photos taken
// back, each under the id the tablet gave it, so sending again after an interruption can never
// count anything twice.
// It runs when the page starts, when the connection comes back, and every 30 seconds online.
import * as store from "./store.mjs";

const BATCH = 200;
// How long the tablet waits for the server's answer before it gives up on a request and
// keeps what it was sending for later: a connection that never answers must not leave the
// inspector waiting without a word (the service's setting, on the page). Photos take longer.
export const TIME_LIMIT =
  1000 * (Number(document.querySelector("[data-sync-status]")?.dataset.timeLimit) || 15);
const PHOTO_TIME_LIMIT = 4 * TIME_LIMIT;
const listeners = new Set();
let running = null;
let queued = null;
let signInNeeded = false;
let timedOut = false;
let stopped = false;

export class SignInNeeded extends Error {}

// fetch(), given up after `limit` milliseconds (an error, as when there is no connection).
export async function within(url, options = {}, limit = TIME_LIMIT) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new DOMException("No answer in time", "TimeoutError")), limit);
  try {
    return await fetch(url, { ...options, signal: controller.signal });
  } finally {
    clearTimeout(timer);
  }
}

export const onStatus = (listener) => listeners.add(listener);

// The inspection the page shows ("12", "files/7"): what needs the inspector's attention
// (conflicts, refusals) is counted for it alone. null: every inspection (the list).
let shown = null;
export const showing = (link) => { shown = link; };

export async function status() {
  const changes = await store.all("changes");
  const photos = await store.all("photos");
  const items = await store.all("items", shown ?? undefined);
  return {
    answers: changes.filter((c) => c.status === "pending").length,
    photos: photos.filter((p) => p.status === "pending" && !p.removal).length,
    removals: photos.filter((p) => p.removal === "pending").length,
    acknowledgements: (await store.all("acknowledgements")).filter((a) => a.status === "pending").length,
    conflicts: items.filter((i) => i.conflict && !i.pending).length,
    rejected: items.filter((i) => i.rejected && !i.pending).length,
    lastSync: await store.meta("last_sync"),
    signInNeeded,
    timedOut,
    online: navigator.onLine,
  };
}

// Tells the page what is waiting to be sent (also right after something new was saved).
export async function announce() {
  const current = await status();
  listeners.forEach((listener) => listener(current));
  return current;
}

// The page's CSRF token, or a fresh one from the server when the saved page is too old.
async function csrfToken(fresh) {
  const meta = !fresh && globalThis.document?.querySelector("meta[name=csrf-token]");
  if (meta) return meta.content;
  const response = await within("/inspections/", { credentials: "same-origin", cache: "no-store" });
  const match = response.ok && !response.redirected &&
    /<meta name="csrf-token" content="([^"]+)"/.exec(await response.text());
  if (!match) throw new SignInNeeded();
  return match[1];
}

// A short-lived API token for this tablet, bought with the signed-in session.
let buying = null;

async function apiToken(renew) {
  const saved = await store.meta("token");
  if (!renew && saved && Date.parse(saved.expires_at) > Date.now() + 60_000) return saved.token;
  buying ||= buyToken().finally(() => { buying = null; }); // one purchase for all who wait
  return buying;
}

async function buyToken() {
  for (const fresh of [false, true]) {
    const response = await within("/inspections/device-token", {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRFToken": await csrfToken(fresh), Accept: "application/json" },
    });
    if (response.ok && (response.headers.get("Content-Type") || "").includes("json")) {
      const token = await response.json();
      await store.meta("token", token);
      return token.token;
    }
    if (response.status !== 400) break; // 400: the CSRF token expired; try a fresh one
  }
  throw new SignInNeeded();
}

async function api(path, options, limit = TIME_LIMIT) {
  for (const renew of [false, true]) {
    const headers = { Accept: "application/json", ...options.headers,
                      Authorization: `Bearer ${await apiToken(renew)}` };
    const response = await within(path, { ...options, headers, credentials: "omit" }, limit);
    if (response.status !== 401) return response;
  }
  throw new SignInNeeded();
}

export const apiGet = (path) => api(path, { method: "GET" });

async function problem(response) {
  try { return (await response.json()).detail; } catch { return `The server answered ${response.status}.`; }
}

function postAnswers(link, changes) {
  return store.deviceId().then((device) => api(`/api/v1/inspections/${link}/answers`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ device_id: device, changes: changes.map((c) => ({
      client_id: c.client_id, item_id: c.item_id, value: c.value, note: c.note,
      base_revision: c.base_revision })) }),
  }));
}

// Stores what the server said about each change, and moves later changes of the same item on
// to the revision this one made.
function settle(link, results) {
  return store.tx(["changes", "items"], "readwrite", async (s, d) => {
    const changes = await d(s.changes.index("link").getAll(link));
    for (const result of results) {
      const change = changes.find((c) => c.client_id === result.client_id);
      if (!change || change.status !== "pending") continue;
      change.status = result.status === "applied" ? "sent" : result.status;
      change.result = result;
      s.changes.put(change);
      const later = changes.filter((c) => c.item_id === change.item_id && c.status === "pending"
                                          && c.at > change.at);
      const item = await d(s.items.get([link, change.item_id]));
      if (!item) continue;
      if (result.status === "applied") {
        item.revision = result.revision;
        later.forEach((c) => { c.base_revision = result.revision; s.changes.put(c); });
      } else if (result.status === "conflict") {
        item.conflict = { value: result.server_value, note: result.server_note,
                          revision: result.revision };
      } else {
        item.rejected = result.message || "The server did not accept this answer.";
      }
      item.pending = later.length > 0;
      s.items.put(item);
    }
  });
}

async function sendAnswers() {
  for (;;) {
    const pending = (await store.all("changes")).filter((c) => c.status === "pending")
      .sort((a, b) => a.at - b.at);
    if (!pending.length) return;
    // One change per item per request: a later change waits for the revision the earlier makes.
    const batches = new Map();
    for (const change of pending) {
      const batch = batches.get(change.link_id) || [];
      if (batch.length < BATCH && !batch.some((c) => c.item_id === change.item_id)) batch.push(change);
      batches.set(change.link_id, batch);
    }
    for (const [link, batch] of batches) {
      await store.tx("changes", "readwrite", (s) => batch.forEach((c) => {
        c.attempts += 1;
        s.changes.put(c);
      }));
      const response = await postAnswers(link, batch);
      if (response.ok) {
        await settle(link, (await response.json()).results);
      } else if (response.status === 404 || response.status === 400 || response.status === 422) {
        const message = await problem(response);
        await settle(link, batch.map((c) => ({ client_id: c.client_id, status: "rejected", message })));
      } else {
        throw new Error(`answers: ${response.status}`);
      }
    }
  }
}

async function sendPhotos() {
  // Oldest first: a marked-up copy goes after the photo it was drawn on.
  const pending = (await store.all("photos")).filter((p) => p.status === "pending" && !p.removal)
    .sort((a, b) => a.at - b.at);
  for (const photo of pending) {
    const form = new FormData();
    form.append("client_id", photo.client_id);
    form.append("item_id", photo.item_id);
    if (photo.marks_up) form.append("marks_up", photo.marks_up);
    form.append("file", photo.blob, photo.name);
    // Kept before sending: a photo removed while on its way is then withdrawn, not forgotten.
    if (!await store.updatePhoto(photo.client_id, { attempts: photo.attempts + 1 })) continue;
    const response = await api(`/api/v1/inspections/${photo.link_id}/photos`, { method: "POST", body: form },
                               PHOTO_TIME_LIMIT);
    if (response.ok) {
      await store.updatePhoto(photo.client_id, { status: "sent", evidence_id: (await response.json()).evidence_id });
    } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      await store.updatePhoto(photo.client_id, { status: "rejected", message: await problem(response) });
    } else {
      throw new Error(`photo: ${response.status}`);
    }
  }
}

// Photos taken back: withdrawn on the server under the photo's own id, so sending again is
// safe. A photo the server never received (404) has nothing to withdraw.
async function sendRemovals() {
  const pending = (await store.all("photos")).filter((p) => p.removal === "pending");
  for (const photo of pending) {
    const response = await api(`/api/v1/inspections/${photo.link_id}/photos/${photo.client_id}/withdraw`,
                               { method: "POST" });
    if (response.ok || response.status === 404) {
      await store.updatePhoto(photo.client_id, { removal: "sent" });
    } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      await store.updatePhoto(photo.client_id, { removal: "rejected", message: await problem(response) });
    } else {
      throw new Error(`photo removal: ${response.status}`);
    }
  }
}

// The provider's acknowledgement, after the answers it acknowledges (the server keeps the
// findings it has when the acknowledgement arrives).
async function sendAcknowledgements() {
  const pending = (await store.all("acknowledgements")).filter((a) => a.status === "pending");
  for (const kept of pending) {
    await store.update("acknowledgements", kept.client_id, { attempts: kept.attempts + 1 });
    const { client_id, declined, name, role, reason, signature_png, signed_at } = kept;
    const response = await api(`/api/v1/inspections/${kept.link_id}/acknowledgement`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ client_id, declined, name, role, reason, signature_png, signed_at }),
    }, PHOTO_TIME_LIMIT);
    if (response.ok) {
      await store.update("acknowledgements", client_id, { status: "sent", signature_png: null });
    } else if (response.status >= 400 && response.status < 500 && response.status !== 429) {
      await store.update("acknowledgements", client_id, { status: "rejected", message: await problem(response) });
    } else {
      throw new Error(`acknowledgement: ${response.status}`);
    }
  }
}

async function run() {
  if (navigator.onLine && !stopped) {
    try {
      const before = await status();
      await sendAnswers();
      await sendPhotos();
      await sendRemovals();
      await sendAcknowledgements();
      signInNeeded = false;
      timedOut = false;
      // "Last sent" is when something was last sent, not when the outbox last looked.
      if (before.answers || before.photos || before.removals || before.acknowledgements) await store.meta("last_sync", new Date().toISOString());
    } catch (error) {
      if (error instanceof SignInNeeded) signInNeeded = true;
      else {
        timedOut = error?.name === "TimeoutError" || error?.name === "AbortError";
        console.warn("Sending saved answers failed; they stay on this tablet", error);
      }
    }
  }
  return announce();
}

// Signed out on this tablet: nothing more is sent from this page.
export function stop() {
  stopped = true;
}

// Sends everything waiting. A call while a round is running (the connection came back while
// the last round was failing, say) gets one whole round of its own after it; calls made
// meanwhile share that round.
export function sync() {
  if (!running) {
    running = run().finally(() => { running = null; });
    return running;
  }
  const next = () => { queued = null; return sync(); };
  queued ||= running.then(next, next);
  return queued;
}

// sync() for someone waiting on it (Submit, Sign out): what is still waiting after at most
// `limit` milliseconds, however many rounds are queued; the sending goes on meanwhile.
export async function syncWithin(limit = TIME_LIMIT) {
  let timer;
  const late = new Promise((resolve) => { timer = setTimeout(resolve, limit, null); });
  const state = await Promise.race([sync(), late]);
  clearTimeout(timer);
  if (state) return state;
  timedOut = true;
  return announce();
}

export function start() {
  addEventListener("online", () => sync());
  addEventListener("offline", () => announce());
  setInterval(() => navigator.onLine && sync(), 30_000);
  navigator.serviceWorker?.addEventListener("message", (event) => {
    if (event.data === "sync") sync();
  });
  announce(); // what the tablet holds, said at once, before any answer from the server
  return sync();
}

// The tablet's own copy of everything the inspector enters, in IndexedDB: nothing typed on site
// is kept only in the page, so a reload, a crash or a lost connection loses nothing.
// Each signed-in person has a database of their own (a tablet is shared): pages read and send
// only the signed-in inspector's. In each:
//   changes: one row per answer change (client_id), the outbox and its history
//   items:   the latest answer on this tablet per [link_id, item_id], and the revision it is based on
// (link_id: where the inspection's routes are under /inspections/: "12" for a property's,
// "files/7" for a sampled file's)
//   photos:  one row per photo (client_id) with the downscaled image; a photo taken back has
//            removal "pending" (to send), "sent" or "rejected", and no image
//   acknowledgements: the provider's acknowledgement on site (client_id), to send
//   meta:    device id, API token, last sync time
const PREFIX = "accreditation-inspections-u";
let user = null;
let opening;

// Whose data the page works with: the signed-in user's id, from the page.
export function setUser(id) {
  if (String(id) !== String(user)) opening = null;
  user = id == null || id === "" ? null : String(id);
}

export const currentUser = () => user;

function openDatabase(name) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, 2);
    request.onupgradeneeded = () => {
      const db = request.result;
      const add = (store, options, index = true) => {
        if (db.objectStoreNames.contains(store)) return;
        const created = db.createObjectStore(store, options);
        if (index) created.createIndex("link", "link_id");
      };
      add("changes", { keyPath: "client_id" });
      add("items", { keyPath: ["link_id", "item_id"] });
      add("photos", { keyPath: "client_id" });
      add("meta", { keyPath: "key" }, false);
      add("acknowledgements", { keyPath: "client_id" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function open() {
  if (user == null) return Promise.reject(new Error("No one is signed in on this page."));
  opening ||= openDatabase(PREFIX + user);
  return opening;
}

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

async function inTransaction(db, names, mode, work) {
  const transaction = db.transaction(names, mode);
  const finished = new Promise((resolve, reject) => {
    transaction.oncomplete = resolve;
    transaction.onerror = transaction.onabort = () => reject(transaction.error);
  });
  const stores = Object.fromEntries([names].flat().map((n) => [n, transaction.objectStore(n)]));
  const result = await work(stores, done);
  await finished;
  return result;
}

// Runs `work(stores)` in one transaction and resolves once it is durable on disk.
export const tx = async (names, mode, work) => inTransaction(await open(), names, mode, work);

export const all = (store, link) => tx(store, "readonly", (s, d) =>
  d(link == null ? s[store].getAll() : s[store].index("link").getAll(link)));
export const get = (store, key) => tx(store, "readonly", (s, d) => d(s[store].get(key)));
export const put = (store, value) => tx(store, "readwrite", (s, d) => d(s[store].put(value)));

export async function meta(key, value) {
  if (value === undefined) return (await get("meta", key))?.value;
  await put("meta", { key, value });
  return value;
}

// The tablet's copy of its API token goes (signing out without signal): nothing more can be
// sent with it from here.
export const forgetToken = () => tx("meta", "readwrite", (s) => { s.meta.delete("token"); });

export async function deviceId() {
  return (await meta("device_id")) || meta("device_id", crypto.randomUUID());
}

// Records an answer as the inspector gives it: the item's latest state and a change to send.
// An earlier change for the same item that was never sent is replaced (it can have no effect
// on the server); one that was sent may have arrived, so it stays in line before this one.
export function recordAnswer(link, itemId, value, note, revision) {
  return tx(["changes", "items"], "readwrite", async (s, d) => {
    const item = (await d(s.items.get([link, itemId]))) || { link_id: link, item_id: itemId, revision };
    const change = {
      client_id: crypto.randomUUID(), link_id: link, item_id: itemId, value, note,
      base_revision: Math.max(item.revision || 0, revision || 0), status: "pending", attempts: 0, at: Date.now(),
    };
    for (const old of await d(s.changes.index("link").getAll(link))) {
      if (old.item_id === itemId && old.status === "pending" && !old.attempts) s.changes.delete(old.client_id);
    }
    s.changes.put(change);
    s.items.put({ ...item, revision: change.base_revision, value, note, pending: true, conflict: null,
                  rejected: null });
    return change;
  });
}

// The server's answer, read from a page newer than anything the tablet has of the item (a
// conflict settled either way, say): it becomes the tablet's, so the next change starts from it.
export function adopt(link, itemId, value, note, revision) {
  return tx("items", "readwrite", async (s, d) => {
    const item = (await d(s.items.get([link, itemId]))) || { link_id: link, item_id: itemId };
    const adopted = { ...item, value, note, revision, pending: false, conflict: null, rejected: null };
    s.items.put(adopted);
    return adopted;
  });
}

export function recordPhoto(link, itemId, blob, name, extra = {}) {
  const photo = { client_id: crypto.randomUUID(), link_id: link, item_id: itemId, blob, name,
                  status: "pending", attempts: 0, at: Date.now(), ...extra };
  return put("photos", photo).then(() => photo);
}

// Takes a photo back. One never sent is simply forgotten here (null); otherwise the removal
// waits in the outbox (removal: "pending") and the image itself is no longer kept.
export function removePhoto(link, itemId, clientId, evidenceId) {
  return tx("photos", "readwrite", async (s, d) => {
    const photo = await d(s.photos.get(clientId));
    if (photo?.status === "pending" && !photo.attempts) {
      s.photos.delete(clientId);
      return null;
    }
    const removed = { ...(photo || { client_id: clientId, link_id: link, item_id: itemId, status: "sent",
                                     evidence_id: evidenceId, attempts: 0, at: Date.now() }),
                      removal: "pending", blob: null };
    s.photos.put(removed);
    return removed;
  });
}

export function recordAcknowledgement(acknowledgement) {
  const kept = { ...acknowledgement, status: "pending", attempts: 0, at: Date.now() };
  return put("acknowledgements", kept).then(() => kept);
}

// Changes a photo's row as it is now (the inspector may have removed it meanwhile).
export function update(store, clientId, change) {
  return tx(store, "readwrite", async (s, d) => {
    const row = await d(s[store].get(clientId));
    if (row) s[store].put({ ...row, ...change });
    return row ? { ...row, ...change } : null;
  });
}

export const updatePhoto = (clientId, change) => update("photos", clientId, change);

// --- a shared tablet: what stays when someone signs out ------------------------------------------

async function userDatabases() {
  const names = (await indexedDB.databases?.()) || [];
  return names.map((entry) => entry.name).filter((name) => name?.startsWith(PREFIX));
}

function deleteDatabase(name) {
  return new Promise((resolve) => {
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

// Forgets everything of one person's that the server already has (answers and photos sent,
// decided or refused, the API token, the answers the server confirmed); answers and photos not
// sent yet stay, with what the page needs to show them, until that person signs in here again.
// Returns how many unsent items stay. With none, the whole database goes.
async function forget(name) {
  const db = await openDatabase(name);
  const kept = await inTransaction(db, ["changes", "items", "photos", "meta", "acknowledgements"], "readwrite", async (s, d) => {
    const unsent = { changes: 0, photos: 0 };
    const waiting = new Set();
    for (const change of await d(s.changes.getAll())) {
      if (change.status === "pending") {
        unsent.changes += 1;
        waiting.add(JSON.stringify([change.link_id, change.item_id]));
      } else s.changes.delete(change.client_id);
    }
    for (const item of await d(s.items.getAll())) {
      if (!waiting.has(JSON.stringify([item.link_id, item.item_id]))) s.items.delete([item.link_id, item.item_id]);
    }
    for (const photo of await d(s.photos.getAll())) {
      if (photo.status === "pending" || photo.removal === "pending") unsent.photos += 1;
      else s.photos.delete(photo.client_id);
    }
    for (const acknowledgement of await d(s.acknowledgements.getAll())) {
      if (acknowledgement.status === "pending") unsent.photos += 1;
      else s.acknowledgements.delete(acknowledgement.client_id);
    }
    for (const key of ["token", "last_sync", "kept_for_offline"]) s.meta.delete(key);
    return unsent.changes + unsent.photos;
  });
  db.close();
  if (!kept) await deleteDatabase(name);
  return kept;
}

// Signing out: forget what the server has of the signed-in person (or of everyone on this tablet
// when `everyone`), keeping only what was not sent yet.
export async function forgetSent({ everyone = false } = {}) {
  const names = everyone ? await userDatabases() : user == null ? [] : [PREFIX + user];
  if (!everyone && opening) (await opening).close();
  opening = null;
  let kept = 0;
  for (const name of names) kept += await forget(name);
  return kept;
}

// Another person's data left from before (their session ended without signing out): forget
// what the server has, keep what they have not sent (it is never sent under this person's name).
export async function forgetOthers() {
  for (const name of await userDatabases()) {
    if (name !== PREFIX + user) await forget(name);
  }
}

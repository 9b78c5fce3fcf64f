// The tablet's own copy of everything the inspector enters, in IndexedDB: nothing typed on site
// is kept only in the page, so a reload, a crash or a lost connection loses nothing.
//   changes: one row per answer change (client_id), the outbox and its history
//   items:   the latest answer on this tablet per [link_id, item_id], and the revision it is based on
//   photos:  one row per photo (client_id) with the downscaled image
//   meta:    device id, API token, last sync time
const NAME = "accreditation-inspections";
let opening;

export function open() {
  opening ||= new Promise((resolve, reject) => {
    const request = indexedDB.open(NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore("changes", { keyPath: "client_id" }).createIndex("link", "link_id");
      db.createObjectStore("items", { keyPath: ["link_id", "item_id"] }).createIndex("link", "link_id");
      db.createObjectStore("photos", { keyPath: "client_id" }).createIndex("link", "link_id");
      db.createObjectStore("meta", { keyPath: "key" });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opening;
}

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});

// Runs `work(stores)` in one transaction and resolves once it is durable on disk.
export async function tx(names, mode, work) {
  const db = await open();
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

export const all = (store, link) => tx(store, "readonly", (s, d) =>
  d(link == null ? s[store].getAll() : s[store].index("link").getAll(link)));
export const get = (store, key) => tx(store, "readonly", (s, d) => d(s[store].get(key)));
export const put = (store, value) => tx(store, "readwrite", (s, d) => d(s[store].put(value)));

export async function meta(key, value) {
  if (value === undefined) return (await get("meta", key))?.value;
  await put("meta", { key, value });
  return value;
}

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
    s.items.put({ ...item, revision: change.base_revision, value, note, pending: true, conflict: null });
    return change;
  });
}

export function recordPhoto(link, itemId, blob, name) {
  const photo = { client_id: crypto.randomUUID(), link_id: link, item_id: itemId, blob, name,
                  status: "pending", attempts: 0, at: Date.now() };
  return put("photos", photo).then(() => photo);
}

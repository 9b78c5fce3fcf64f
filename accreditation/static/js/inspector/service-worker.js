// The inspector's service worker (scope /inspections/). The server puts two constants above this
// line when it serves the file: VERSION (changes whenever an asset changes) and SHELL (the URLs
// of the CSS, JavaScript and icons every inspector page needs).
/* global VERSION, SHELL */
const SHELL_CACHE = `inspector-shell-${VERSION}`;
// The inspection pages, saved while online (see inspection.mjs), in one cache per signed-in
// person (`inspector-pages-u<id>`); WHO says whose pages may be shown: the person the server
// last said was signed in (header X-Inspector-User on the inspector's pages), no one after a
// sign-out or when the server sends a page to the sign-in page instead.
const PAGES = "inspector-pages-u";
const WHO = "inspector-user";
const WHO_KEY = "/inspections/signed-in-user";

async function signedIn() {
  const saved = await (await caches.open(WHO)).match(WHO_KEY);
  return saved ? saved.text() : null;
}

// The server said who is signed in (null: no one). Anyone else's saved pages go.
async function nowSignedIn(user) {
  if (user) await (await caches.open(WHO)).put(WHO_KEY, new Response(user));
  else await caches.delete(WHO);
  await Promise.all((await caches.keys())
    .filter((name) => name.startsWith(PAGES) && name !== PAGES + user)
    .map((name) => caches.delete(name)));
}

// A sign-out given without signal (inspection.mjs), sent when there is a connection: before
// the next inspector page is fetched, and by Background Sync where the browser has it. It ends
// the session it was given in, and no other: when the server says someone else, or a session
// begun since, is signed in here, or no one is, that session has ended already.
const SIGN_OUT = "inspector-sign-out";
const SIGN_OUT_KEY = "/inspections/sign-out-queued";
let signingOut = null;

async function sendQueuedSignOut() {
  const queued = await (await caches.open(SIGN_OUT)).match(SIGN_OUT_KEY);
  if (!queued) return;
  const { user, session, limit: milliseconds = 15000 } = await queued.json();
  const limit = () => AbortSignal.timeout(milliseconds);
  const check = await fetch("/inspections/", { credentials: "same-origin", cache: "no-store", signal: limit() });
  if (check.headers.get("X-Inspector-User") === user && check.headers.get("X-Inspector-Session") === session) {
    const token = /<meta name="csrf-token" content="([^"]+)"/.exec(await check.text());
    const response = await fetch("/sign-out", {
      method: "POST", credentials: "same-origin", signal: limit(),
      body: new URLSearchParams({ csrf_token: token ? token[1] : "" }),
    });
    if (!response.ok) throw new Error(`sign-out: ${response.status}`); // tried again later
  }
  await caches.delete(SIGN_OUT);
  await caches.delete(PAGES + user); // the session has ended: its pages can go
}

function signOutIfQueued() {
  signingOut ||= sendQueuedSignOut().finally(() => { signingOut = null; });
  return signingOut;
}

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL_CACHE).then((cache) => cache.addAll(SHELL))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys().then((names) => Promise.all(names
    .filter((name) => name.startsWith("inspector-shell-") && name !== SHELL_CACHE)
    .map((name) => caches.delete(name)))).then(() => self.clients.claim()));
});

// A page: the server's copy when there is a connection (saved for later), else the saved copy.
// On a poor connection the saved copy is shown after a few seconds; the fresh one is still saved.
const offline = () => new Response(
  '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Offline</title>' +
  '<meta name="viewport" content="width=device-width, initial-scale=1">' +
  '<link rel="stylesheet" href="/static/dist/app.css"></head><body class="govuk-template__body">' +
  '<main class="govuk-main-wrapper govuk-width-container" id="main-content">' +
  '<h1 class="govuk-heading-l">You are offline</h1><p class="govuk-body">This page was not ' +
  'saved on this tablet. Answers you gave are kept here and sent when you have a connection. ' +
  '<a class="govuk-link" href="/inspections/">Your inspections</a></p></main></body></html>',
  { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });

async function page(request, event) {
  const key = new URL(request.url).pathname;
  await signOutIfQueued().catch(() => undefined);
  const network = fetch(request).then(async (response) => {
    const user = response.headers.get("X-Inspector-User");
    if (response.type === "opaqueredirect" || user === "") {
      await nowSignedIn(null); // sent to sign in, or signed out: no one's pages may be shown
    } else if (user && response.type === "basic") {
      await nowSignedIn(user);
      if (response.ok) await (await caches.open(PAGES + user)).put(key, response.clone());
    }
    return response;
  });
  const user = await signedIn();
  const saved = user && await (await caches.open(PAGES + user)).match(key, { ignoreVary: true });
  if (!saved) return network.catch(offline);
  event.waitUntil(network.catch(() => undefined));
  const slow = new Promise((resolve) => { setTimeout(resolve, 6000, saved); });
  return Promise.race([network, slow]).catch(() => saved);
}

// An asset: the saved copy at once, refreshed from the server in the background.
async function asset(request, event) {
  const cache = await caches.open(SHELL_CACHE);
  const saved = await cache.match(request, { ignoreSearch: true, ignoreVary: true });
  const fresh = fetch(request).then(async (response) => {
    if (response.ok) await cache.put(request, response.clone());
    return response;
  });
  if (saved) {
    event.waitUntil(fresh.catch(() => undefined));
    return saved;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // Pages, and the thumbnails of photos already sent (kept with the pages, for one person).
  const thumbnail = request.destination === "image" && /^\/inspections\/\d+\/photos\/\d+$/.test(url.pathname);
  if ((request.mode === "navigate" || thumbnail) && url.pathname.startsWith("/inspections/")) {
    event.respondWith(page(request, event));
  } else if (SHELL.includes(url.pathname)) {
    event.respondWith(asset(request, event));
  }
});

// Background Sync where the browser has it (not Safari): ask an open page to send its outbox.
self.addEventListener("sync", (event) => {
  if (event.tag === "inspection-sign-out") event.waitUntil(signOutIfQueued());
  if (event.tag !== "inspection-outbox") return;
  event.waitUntil(self.clients.matchAll({ type: "window" })
    .then((clients) => clients.forEach((client) => client.postMessage("sync"))));
});

// The sign-out warning (WCAG 2.2.1 Timing Adjustable): a signed-in session ends after a spell
// without requests, so a little before that the page says so and offers to keep it going.
// The server decides: the page only counts down from the time it was given, and when that has
// run out it asks for the page again (the server then signs the person out and says why) -
// unless the device is offline, where the page stays as it is (a tablet keeps working and
// sends its answers once signed in again). Tabs of the same session tell each other when one
// of them has kept it going.

const SHARED_KEY = "accreditation:session-ends-at";
const ACTIVITY_EVERY_MS = 5 * 60 * 1000;

export function startSessionTimeout(dialog) {
  const text = dialog.querySelector("[data-session-timeout-text]");
  const problem = dialog.querySelector("[data-session-timeout-problem]");
  const stay = dialog.querySelector("[data-session-timeout-stay]");
  const close = dialog.querySelector("[data-session-timeout-close]");
  const warnMs = Number(dialog.dataset.warnSeconds) * 1000;
  let final = dialog.dataset.final === "true";
  let endsAt = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let warnTimer;
  let endTimer;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    const left = endsAt - Date.now();
    warnTimer = setTimeout(warn, Math.max(0, left - warnMs));
    endTimer = setTimeout(timeUp, Math.max(0, left));
  }

  function timeUp() {
    if (navigator.onLine === false) {
      if (dialog.open) dialog.close();
      return;
    }
    window.location.assign(window.location.href);
  }

  function warn() {
    const minutes = Math.max(1, Math.round((endsAt - Date.now()) / 60000));
    const when = `${minutes} minute${minutes === 1 ? "" : "s"}`;
    text.textContent = final
      ? `For your security, you will be signed out in ${when} because you signed in a long time ago. Save your work now: anything not saved will be lost. You can sign in again straight away.`
      : `For your security, you will be signed out in ${when} because you have not done anything for a while. Anything you have not saved will be lost.`;
    stay.hidden = final;
    stay.textContent = "Stay signed in";
    close.hidden = !final; // the final warning is for saving work: back to the page
    problem.hidden = true;
    if (!dialog.open) dialog.showModal();
  }

  // Forms on the page were given a token that lasts an hour: a page kept open longer than that
  // gets fresh ones, so what is typed into it can still be sent.
  function renewFormTokens(token) {
    if (!token) return;
    dialog.dataset.csrfToken = token;
    document.querySelectorAll('input[name="csrf_token"]').forEach((input) => {
      input.value = token;
    });
    document.querySelectorAll('meta[name="csrf-token"]').forEach((meta) => {
      meta.content = token;
    });
  }

  function share() {
    try {
      window.localStorage.setItem(SHARED_KEY, String(endsAt));
    } catch {
      // Storage may be off: each tab then keeps its own count.
    }
  }

  // `quiet`: for someone using the page, not answering the warning: a failure says nothing
  // (the warning comes in its time).
  async function keepGoing(quiet = false) {
    problem.hidden = true;
    toldAt = Date.now();
    let response;
    try {
      response = await fetch(dialog.dataset.keepAliveUrl, {
        method: "POST",
        headers: { "X-CSRFToken": dialog.dataset.csrfToken, Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      if (quiet) return;
      // No connection: say so, and let the person try again or go back to the page.
      problem.hidden = false;
      stay.textContent = "Try again";
      close.hidden = false;
      return;
    }
    if (quiet && (!response.ok || response.redirected)) return;
    if (!response.ok || response.redirected) {
      // Signed out already (elsewhere, or the time ran out): the server says what happened.
      window.location.assign(window.location.href);
      return;
    }
    const left = await response.json();
    endsAt = Date.now() + left.seconds * 1000;
    final = left.final;
    renewFormTokens(left.csrf_token);
    share();
    dialog.close();
    schedule();
  }

  // Using the page is activity too: someone answering a checklist on a tablet sends the
  // answers with the tablet's token, which the session never sees. So a tap or a key on the
  // page tells the server (at most every few minutes), and the count starts again.
  let toldAt = Date.now();
  function active(event) {
    if (final || navigator.onLine === false || dialog.contains(event.target)) return;
    if (Date.now() - toldAt >= ACTIVITY_EVERY_MS) keepGoing(true);
  }
  for (const kind of ["pointerdown", "keydown"]) {
    document.addEventListener(kind, active, { capture: true, passive: true });
  }
  // While the warning is open, a tap beside it is the person coming back: the session goes
  // on, and the tap lands where it was aimed instead of being lost to the warning.
  dialog.addEventListener("click", (event) => {
    if (event.target !== dialog || final) return;
    const box = dialog.getBoundingClientRect();
    const { clientX: x, clientY: y } = event;
    if (x >= box.left && x <= box.right && y >= box.top && y <= box.bottom) return;
    dialog.close();
    keepGoing(true);
    document.elementFromPoint(x, y)?.click();
  });

  stay.addEventListener("click", () => keepGoing());
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("cancel", (event) => {
    // Escape means "not now": the same as staying signed in, where that is still possible.
    event.preventDefault();
    if (final || !problem.hidden) dialog.close();
    else keepGoing();
  });
  dialog.querySelector("[data-session-timeout-sign-out]").addEventListener("click", () => {
    const signOut = document.querySelector("form.app-sign-out");
    dialog.close();
    if (signOut) signOut.requestSubmit();
  });
  window.addEventListener("storage", (event) => {
    if (event.key !== SHARED_KEY || !event.newValue) return;
    const shared = Number(event.newValue);
    if (shared > endsAt) {
      endsAt = shared;
      if (dialog.open) dialog.close();
      schedule();
    }
  });
  share();
  schedule();
}

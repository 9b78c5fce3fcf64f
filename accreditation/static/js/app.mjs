// Starts the GOV.UK Frontend components on every page, lets wide tables scroll in their own
// box, and starts the sign-out warning when signed in.
import { initAll } from "/static/dist/govuk-frontend.min.js";
import { startSessionTimeout } from "./session-timeout.mjs";
import { scrollWideTables } from "./scroll-tables.mjs";

initAll();
scrollWideTables();

const sessionTimeout = document.querySelector("[data-session-timeout]");
if (sessionTimeout) startSessionTimeout(sessionTimeout);

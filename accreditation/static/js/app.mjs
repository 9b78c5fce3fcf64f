// Starts the GOV.UK Frontend components on every page, and the sign-out warning when signed in.
import { initAll } from "/static/dist/govuk-frontend.min.js";
import { startSessionTimeout } from "./session-timeout.mjs";

initAll();

const sessionTimeout = document.querySelector("[data-session-timeout]");
if (sessionTimeout) startSessionTimeout(sessionTimeout);

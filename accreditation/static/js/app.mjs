// Starts the GOV.UK Frontend components on every page.
import { initAll } from "/static/dist/govuk-frontend.min.js";

initAll();

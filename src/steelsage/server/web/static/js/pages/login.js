// Sign-in: POST the form as JSON to /api/v1/auth/login, then go where the user was headed.

import { api } from "../api.js";
import { t } from "../i18n.js";
import { errorText, initPage, markReady } from "../ui.js";

/** Only same-site paths: never send the user to another origin after signing in. */
function safeNext(value) {
  if (!value || !value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return "/";
  return value.startsWith("/login") ? "/" : value;
}

function setUp() {
  initPage();
  const form = document.getElementById("login-form");
  const error = document.getElementById("login-error");
  const submit = document.getElementById("login-submit");
  document.getElementById("username").focus();
  // The no-JavaScript form post comes back here with ?error=<code>.
  const failed = new URLSearchParams(location.search).get("error");
  if (failed) {
    const byCode = { locked: "login.locked", rate_limited: "login.rate" };
    error.textContent = t(byCode[failed] || "login.failed");
    error.hidden = false;
  }
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    const username = form.elements.namedItem("username").value.trim();
    const password = form.elements.namedItem("password").value;
    if (!username || !password) {
      error.textContent = t("login.failed");
      error.hidden = false;
      return;
    }
    submit.disabled = true;
    submit.textContent = t("login.working");
    try {
      await api("auth/login", { method: "POST", body: { username, password } });
      location.assign(safeNext(form.dataset.next));
    } catch (err) {
      const byStatus = { 401: "login.failed", 423: "login.locked", 429: "login.rate" };
      error.textContent = byStatus[err.status] ? `${t(byStatus[err.status])}` : errorText(err);
      if (err.status === 423 || err.status === 429) error.textContent += ` — ${errorText(err)}`;
      error.hidden = false;
      form.elements.namedItem("password").select();
    } finally {
      submit.disabled = false;
      submit.textContent = t("login.submit");
    }
  });
  markReady();
}

setUp();

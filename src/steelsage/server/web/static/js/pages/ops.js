// The data-operations console for editors: the day's submissions, flags with their reasons
// (accept / reject, a reason required), corrections of published values, running the
// assessment and publishing, and the monitoring report. Each tab loads when first opened.

import { api } from "../api.js";
import { pickLang, t } from "../i18n.js";
import { cellText, el, errorText, initPage, labelFor, markReady, renderAny, table, toast } from "../ui.js";

const $ = (id) => document.getElementById(id);
const loaded = new Set();
const MIN_WHY = 3;

// ---- tabs ----------------------------------------------------------------------------------

const loaders = {
  submissions: loadSubmissions,
  flags: loadFlags,
  monitor: loadMonitor,
  corrections: () => {},
  pipeline: () => {},
};

function showTab(name) {
  if (!(name in loaders)) name = "submissions";
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const on = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(on));
    tab.tabIndex = on ? 0 : -1;
    $(`panel-${tab.dataset.tab}`).hidden = !on;
  }
  if (location.hash !== `#${name}`) history.replaceState(null, "", `${location.pathname}${location.search}#${name}`);
  if (!loaded.has(name)) {
    loaded.add(name);
    loaders[name]();
  }
}

function loading(node) {
  node.replaceChildren(el("p", { class: "muted" }, t("common.loading")));
}

// ---- submissions ---------------------------------------------------------------------------

async function loadSubmissions() {
  const box = $("submissions");
  loading(box);
  try {
    const reply = await api("ops/submissions", {
      query: { date: $("submissions-date").value, series: $("submissions-series").value.trim(), limit: 500 },
    });
    if (reply?.date && !$("submissions-date").value) $("submissions-date").value = String(reply.date).slice(0, 10);
    $("submissions-total").textContent = t("ops.total", { n: reply?.total ?? (reply?.submissions || []).length });
    box.replaceChildren(table(reply?.submissions || [], null, { testid: "submissions-table" }));
  } catch (err) {
    box.replaceChildren(el("p", { class: "form-error" }, errorText(err)));
  }
}

// ---- flags ---------------------------------------------------------------------------------

async function loadFlags() {
  const box = $("flags");
  loading(box);
  try {
    const reply = await api("ops/flags", {
      query: {
        status: $("flags-status").value,
        reason: $("flags-reason").value.trim(),
        series: $("flags-series").value.trim(),
        date: $("flags-date").value,
        limit: 50,
      },
    });
    renderFlags(reply?.flags || []);
  } catch (err) {
    box.replaceChildren(el("p", { class: "form-error" }, errorText(err)));
  }
}

/** One card per flag (readable on a phone): what, why, the score, and the decision. */
function renderFlags(flags) {
  if (!flags.length) {
    $("flags").replaceChildren(el("p", { class: "muted empty" }, t("common.none")));
    return;
  }
  const cards = flags.map((row) =>
    el(
      "article",
      { class: "flag", "data-testid": "flag-row", "data-flag-id": row.id },
      el(
        "div",
        { class: "flag-head" },
        el("strong", {}, `#${row.id}`),
        el("span", {}, cellText(row.date)),
        el("code", {}, row.series_code || "—"),
        row.source_code ? el("span", { class: "muted" }, row.source_code) : null,
        row.value != null ? el("span", { class: "num" }, cellText(row.value)) : null,
        el("span", { class: `badge ${row.status === "open" ? "warn" : "ok"}`, "data-testid": "flag-status" }, t(`ops.status.${row.status}`)),
      ),
      el(
        "p",
        { class: "flag-why" },
        el("span", { class: "badge" }, row.reason || "—"),
        " ",
        pickLang(row.message || ""),
        row.score != null ? el("span", { class: "muted" }, ` · ${labelFor("score")} ${ cellText(row.score)}`) : null,
      ),
      flagActions(row),
    ),
  );
  $("flags").replaceChildren(el("div", { class: "flag-list", "data-testid": "flags-list" }, cards));
}

function flagActions(row) {
  if (row.status && row.status !== "open") return null;
  const why = el("input", {
    type: "text",
    maxlength: 500,
    placeholder: t("ops.why"),
    "aria-label": t("ops.why"),
    "data-testid": "flag-why",
  });
  const act = (action) => async (event) => {
    const reason = why.value.trim();
    if (reason.length < MIN_WHY) {
      toast(t("ops.why_short"), "error");
      why.focus();
      return;
    }
    const buttons = event.target.parentElement.querySelectorAll("button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      const reply = await api(`ops/flags/${encodeURIComponent(row.id)}`, { method: "POST", body: { action, why: reason } });
      toast(t("ops.resolved", { id: row.id, status: t(`ops.status.${reply?.status || (action === "accept" ? "accepted" : "rejected")}`) }));
      await loadFlags();
    } catch (err) {
      toast(errorText(err), "error");
      buttons.forEach((b) => (b.disabled = false));
    }
  };
  return el(
    "div",
    { class: "row-actions" },
    why,
    el("button", { type: "button", class: "small", "data-testid": "flag-accept", onclick: act("accept") }, t("ops.accept")),
    el("button", { type: "button", class: "small danger", "data-testid": "flag-reject", onclick: act("reject") }, t("ops.reject")),
  );
}

// ---- corrections ---------------------------------------------------------------------------

async function submitCorrection(event) {
  event.preventDefault();
  const form = event.target;
  const error = $("correction-error");
  error.hidden = true;
  const why = form.elements.namedItem("why").value.trim();
  if (why.length < MIN_WHY) {
    error.textContent = t("ops.why_short");
    error.hidden = false;
    return;
  }
  const number = (v) => (v === "" ? null : Number(v));
  const body = {
    series: form.elements.namedItem("series").value.trim(),
    date: form.elements.namedItem("date").value,
    value: number(form.elements.namedItem("value").value),
    low: number(form.elements.namedItem("low").value),
    high: number(form.elements.namedItem("high").value),
    why,
  };
  try {
    const reply = await api("ops/corrections", { method: "POST", body });
    toast(t("ops.correction.done"));
    $("correction-result").replaceChildren(renderAny(reply));
  } catch (err) {
    error.textContent = errorText(err);
    error.hidden = false;
  }
}

// ---- pipeline and publication --------------------------------------------------------------

async function runAction(path, button) {
  const box = $("pipeline-result");
  button.disabled = true;
  loading(box);
  try {
    const reply = await api(path, { method: "POST", body: {} });
    box.replaceChildren(renderAny(reply));
    toast(t("common.done"));
    loaded.delete("monitor");
  } catch (err) {
    box.replaceChildren(el("p", { class: "form-error" }, errorText(err)));
  } finally {
    button.disabled = false;
  }
}

// ---- monitoring ----------------------------------------------------------------------------

async function loadMonitor() {
  const box = $("monitor");
  loading(box);
  try {
    const reply = await api("ops/monitor", { query: { days: $("monitor-days").value || 30 } });
    const sections = Object.entries(reply || {}).map(([key, value]) =>
      value && typeof value === "object"
        ? el("section", { class: "monitor-section", dataset: { key } }, el("h3", {}, t(`ops.monitor.${key}`).replace(/^ops\.monitor\./, "")), renderAny(value))
        : null,
    );
    const scalars = Object.fromEntries(Object.entries(reply || {}).filter(([, v]) => !v || typeof v !== "object"));
    box.replaceChildren(renderAny(scalars), ...sections.filter(Boolean));
  } catch (err) {
    box.replaceChildren(el("p", { class: "form-error" }, errorText(err)));
  }
}

// ---- set-up --------------------------------------------------------------------------------

function setUp() {
  initPage();
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.addEventListener("click", () => showTab(tab.dataset.tab));
  }
  const reload = (formId, fn) =>
    $(formId).addEventListener("submit", (event) => {
      event.preventDefault();
      fn();
    });
  reload("submissions-form", loadSubmissions);
  reload("flags-form", loadFlags);
  reload("monitor-form", loadMonitor);
  $("flags-status").addEventListener("change", loadFlags);
  $("correction-form").addEventListener("submit", submitCorrection);
  $("run-pipeline").addEventListener("click", (e) => runAction("ops/pipeline/run", e.currentTarget));
  $("publish").addEventListener("click", (e) => {
    if (confirm(t("ops.pipeline.confirm_publish"))) runAction("ops/publish", e.currentTarget);
  });
  document.addEventListener("langchange", () => {
    loaded.clear();
    showTab(location.hash.slice(1));
  });
  window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
  showTab(location.hash.slice(1));
  markReady();
}

setUp();

// Shared page furniture: boot data, the top bar (menu, language, sign-out), small DOM helpers,
// messages, generic tables and ECharts charts that follow their container's size.

import { api } from "./api.js";
import { applyI18n, lang, pickLang, setLang, t } from "./i18n.js";

/** What the server put in the page: user, role, units (see routes/pages.py). */
export function bootData() {
  if (!window.__steelsageBoot) {
    const node = document.getElementById("boot");
    window.__steelsageBoot = node ? JSON.parse(node.textContent || "{}") : {};
  }
  return window.__steelsageBoot;
}

/** Label the page, wire the top bar; call once per page before its own set-up. */
export function initPage() {
  bootData();
  applyI18n(document);
  const toggle = document.getElementById("lang-toggle");
  toggle?.addEventListener("click", () => setLang(lang() === "en" ? "zh" : "en"));
  const menu = document.getElementById("nav-toggle");
  const nav = document.getElementById("nav");
  menu?.addEventListener("click", () => {
    const open = nav.classList.toggle("open");
    menu.setAttribute("aria-expanded", String(open));
  });
  document.getElementById("logout")?.addEventListener("click", async () => {
    try {
      await api("auth/logout", { method: "POST", body: {} });
    } catch {
      /* signed out already or the server is gone: go to the sign-in page anyway */
    }
    location.assign("/login");
  });
  const role = document.getElementById("user-role");
  const renderRole = () => {
    if (role && role.dataset.role) role.textContent = t(`role.${role.dataset.role}`);
  };
  renderRole();
  document.addEventListener("langchange", renderRole);
}

/** Mark the page as wired up (tests and scripts wait for `body[data-ready]`). */
export function markReady() {
  document.body.dataset.ready = "1";
}

/** Create an element: el("a", {href: "/", class: "x", dataset: {code}}, "text", child…). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

let toastTimer = null;

/** A short message at the bottom of the screen; kind is "ok" or "error". */
export function toast(message, kind = "ok") {
  const box = document.getElementById("toast");
  if (!box) return;
  box.textContent = message;
  box.className = `toast show ${kind}`;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => (box.className = "toast"), kind === "error" ? 6000 : 3000);
}

/** The text to show for a failure (ApiError or anything else). */
export function errorText(err) {
  if (!err) return t("common.error");
  return pickLang(err.message) || t("common.error");
}

/** A unit code as people read it, from the catalog the server sent. */
export function unitLabel(code) {
  if (!code) return "";
  const pair = bootData().units?.[code];
  if (!pair) return code;
  return lang() === "en" ? pair[1] : pair[0];
}

/** A series' display name in the current language. */
export function seriesName(info) {
  if (!info) return "";
  const name = lang() === "en" ? info.name_en || info.name_zh : info.name_zh || info.name_en;
  return name || info.code;
}

export function formatNumber(value, decimals = null) {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  if (typeof value !== "number") return String(value);
  const digits = decimals ?? (Math.abs(value) >= 100 ? 0 : 2);
  return value.toLocaleString(lang() === "en" ? "en-US" : "zh-CN", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/** Format a cell value for generic tables. */
export function cellText(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "boolean") return value ? t("common.yes") : t("common.no");
  if (typeof value === "number") {
    return value.toLocaleString("en-US", { maximumFractionDigits: 4, useGrouping: false });
  }
  if (typeof value === "object") return JSON.stringify(value);
  const text = pickLang(String(value));
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(text) ? text.replace("T", " ").slice(0, 19) : text;
}

/**
 * A table from a list of objects. `columns` is a list of {key, label, render?}; without it,
 * the keys of the rows are the columns. Wrapped so it scrolls sideways on its own on a phone.
 */
export function table(rows, columns = null, { testid = null, rowAttrs = null } = {}) {
  if (!rows || !rows.length) return el("p", { class: "muted empty" }, t("common.none"));
  const cols =
    columns ||
    [...new Set(rows.flatMap((row) => Object.keys(row)))].slice(0, 14).map((key) => ({
      key,
      label: labelFor(key),
    }));
  const head = el("tr", {}, cols.map((c) => el("th", { scope: "col" }, c.label ?? c.key)));
  const body = rows.map((row) =>
    el(
      "tr",
      rowAttrs ? rowAttrs(row) : {},
      cols.map((c) => {
        const content = c.render ? c.render(row) : cellText(row[c.key]);
        const value = row[c.key];
        const kind = typeof value === "number" ? "num" : typeof content === "string" && content.length <= 24 ? "nowrap" : null;
        return el("td", { class: kind }, content);
      }),
    ),
  );
  return el(
    "div",
    { class: "table-wrap" },
    el("table", { class: "grid", "data-testid": testid }, el("thead", {}, head), el("tbody", {}, body)),
  );
}

/** A column label: a known key from the dictionary, else the key itself. */
export function labelFor(key) {
  for (const prefix of ["col.", "ops.monitor.", "admin.", "keys."]) {
    const label = t(prefix + key);
    if (label !== prefix + key) return label;
  }
  return key;
}

/** Render any JSON reply readably: tables for lists of records, key/value tables for objects. */
export function renderAny(value, depth = 0) {
  if (value === null || value === undefined) return el("span", { class: "muted" }, "—");
  if (Array.isArray(value)) {
    if (!value.length) return el("p", { class: "muted empty" }, t("common.none"));
    if (value.every((v) => v && typeof v === "object" && !Array.isArray(v))) {
      const columns = [...new Set(value.flatMap((row) => Object.keys(row)))].slice(0, 14).map((key) => ({
        key,
        label: labelFor(key),
        render: (row) =>
          row[key] && typeof row[key] === "object" && depth < 2 ? renderAny(row[key], depth + 1) : cellText(row[key]),
      }));
      return table(value, columns);
    }
    return el("span", {}, value.map(cellText).join(", "));
  }
  if (typeof value === "object") {
    const entries = Object.entries(value);
    if (depth >= 1 && entries.every(([, v]) => v === null || typeof v !== "object")) {
      // Small nested records (counters): one compact line instead of a nested table.
      return el("span", { class: "compact" }, entries.map(([k, v]) => `${labelFor(k)}: ${cellText(v)}`).join(" · "));
    }
    const rows = entries.map(([key, v]) =>
      el(
        "tr",
        {},
        el("th", { scope: "row" }, labelFor(key)),
        el("td", {}, v && typeof v === "object" && depth < 3 ? renderAny(v, depth + 1) : cellText(v)),
      ),
    );
    return el("div", { class: "table-wrap" }, el("table", { class: "kv" }, el("tbody", {}, rows)));
  }
  return el("span", {}, cellText(value));
}

const charts = new Set();
let resizeWired = false;

/** Draw an ECharts option into `node`, sized to it, resized with the window. */
export function drawChart(node, option) {
  const echarts = window.echarts;
  if (!echarts || !option) return null;
  let chart = echarts.getInstanceByDom(node);
  if (!chart) {
    chart = echarts.init(node, null, { renderer: "canvas" });
    charts.add(chart);
    if (window.ResizeObserver) new ResizeObserver(() => chart.resize()).observe(node);
  }
  chart.setOption(fitOption(option, node.clientWidth), true);
  if (!resizeWired) {
    resizeWired = true;
    window.addEventListener("resize", () => charts.forEach((c) => !c.isDisposed() && c.resize()));
  }
  return chart;
}

/** Smaller title and margins on a narrow screen so the plot keeps its room. */
function fitOption(option, width) {
  const copy = JSON.parse(JSON.stringify(option));
  const narrow = width && width < 520;
  if (narrow) {
    if (copy.title && !Array.isArray(copy.title)) {
      copy.title.textStyle = { fontSize: 12, ...(copy.title.textStyle || {}) };
      copy.title.subtextStyle = { fontSize: 10, ...(copy.title.subtextStyle || {}) };
    }
    if (copy.grid && !Array.isArray(copy.grid)) {
      copy.grid = { ...copy.grid, left: 48, right: 12 };
    }
    if (copy.legend && !Array.isArray(copy.legend)) copy.legend = { type: "scroll", ...copy.legend };
  }
  return copy;
}

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/** The first list in a reply like {"keys": [...]} (or the reply itself when it is a list). */
export function listIn(reply, key) {
  if (Array.isArray(reply)) return reply;
  if (reply && Array.isArray(reply[key])) return reply[key];
  const first = reply && Object.values(reply).find(Array.isArray);
  return first || [];
}

/** Copy text to the clipboard; falls back to a selection copy over plain http. */
export async function copyText(text, input = null) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const field = input || el("textarea", { style: "position:fixed;opacity:0" }, text);
    if (!input) document.body.append(field);
    field.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch {
      ok = false;
    }
    if (!input) field.remove();
    return ok;
  }
}

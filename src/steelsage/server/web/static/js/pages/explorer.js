// The data explorer: search the catalog, pick series, choose dates, chart and compare them,
// plot a spread A−B, and download the observations as CSV or Excel. The address carries the
// choice (`?series=a,b&start=…&end=…&spread=1`) so citations and shared links open it again.

import { api, download } from "../api.js";
import { t } from "../i18n.js";
import { debounce, drawChart, el, errorText, formatNumber, initPage, markReady, seriesName, table, toast, unitLabel } from "../ui.js";

const MAX_SERIES = 8;
const state = { selected: [], start: "", end: "", spread: false, spreadA: "", spreadB: "" };
const observationCache = new Map();
let lastResults = [];
let drawToken = 0;

const $ = (id) => document.getElementById(id);

// ---- dates ---------------------------------------------------------------------------------

function iso(date) {
  return date.toISOString().slice(0, 10);
}

function shift(isoDate, { months = 0, years = 0 }) {
  const d = new Date(`${isoDate}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years, d.getUTCMonth() + months);
  return iso(d);
}

function latestEnd() {
  const lasts = state.selected.map((s) => s.last).filter(Boolean).sort();
  return lasts.length ? lasts[lasts.length - 1] : iso(new Date());
}

function earliestStart() {
  const firsts = state.selected.map((s) => s.first).filter(Boolean).sort();
  return firsts[0] || "";
}

function applyRange(range) {
  const end = latestEnd();
  state.end = end;
  if (range === "1m") state.start = shift(end, { months: -1 });
  else if (range === "3m") state.start = shift(end, { months: -3 });
  else if (range === "1y") state.start = shift(end, { years: -1 });
  else state.start = earliestStart();
  $("start").value = state.start;
  $("end").value = state.end;
}

// ---- address -------------------------------------------------------------------------------

function readAddress() {
  const params = new URLSearchParams(location.search);
  const codes = (params.get("series") || "")
    .split(",")
    .map((c) => c.trim())
    .filter(Boolean)
    .slice(0, MAX_SERIES);
  const valid = (v) => (/^\d{4}-\d\d-\d\d$/.test(v || "") ? v : "");
  state.start = valid(params.get("start"));
  state.end = valid(params.get("end"));
  state.spread = params.get("spread") === "1";
  return [...new Set(codes)];
}

function writeAddress() {
  const params = new URLSearchParams(location.search);
  params.delete("lang");
  const set = (key, value) => (value ? params.set(key, value) : params.delete(key));
  set("series", state.selected.map((s) => s.code).join(","));
  set("start", state.start);
  set("end", state.end);
  set("spread", state.spread ? "1" : "");
  const query = params.toString().replace(/%2C/g, ",");
  history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}`);
}

// ---- search --------------------------------------------------------------------------------

let searchToken = 0;

async function search(query) {
  const token = ++searchToken;
  try {
    const reply = await api("series", { query: { q: query, limit: 30 } });
    if (token !== searchToken) return; // an answer to an older query
    lastResults = reply?.series || [];
    renderResults();
  } catch (err) {
    toast(errorText(err), "error");
  }
}

function renderResults() {
  const list = $("search-results");
  list.replaceChildren();
  if (!lastResults.length) {
    list.append(el("li", { class: "muted" }, t("explorer.no_results")));
    return;
  }
  const chosen = new Set(state.selected.map((s) => s.code));
  for (const info of lastResults) {
    list.append(
      el(
        "li",
        { "data-testid": "search-result", dataset: { code: info.code } },
        el("span", { class: "info" }, seriesName(info), el("span", { class: "code" }, `${info.code} · ${unitLabel(info.unit)}`)),
        el(
          "button",
          {
            type: "button",
            class: "small",
            "data-testid": "add-series",
            dataset: { code: info.code },
            disabled: chosen.has(info.code),
            onclick: () => add(info),
          },
          t("explorer.add"),
        ),
      ),
    );
  }
}

// ---- selection -----------------------------------------------------------------------------

function add(info) {
  if (state.selected.some((s) => s.code === info.code)) return;
  if (state.selected.length >= MAX_SERIES) {
    toast(t("explorer.too_many", { n: MAX_SERIES }), "error");
    return;
  }
  const firstOne = !state.selected.length;
  state.selected.push(info);
  if (firstOne && (!state.start || !state.end)) applyRange("1y");
  changed();
}

function remove(code) {
  state.selected = state.selected.filter((s) => s.code !== code);
  changed();
}

function renderSelected() {
  const box = $("selected");
  box.replaceChildren(
    ...state.selected.map((info) =>
      el(
        "span",
        { class: "chip", "data-testid": "selected-series", dataset: { code: info.code } },
        seriesName(info),
        el(
          "button",
          {
            type: "button",
            "aria-label": `${t("explorer.remove")} ${info.code}`,
            title: t("explorer.remove"),
            "data-testid": "remove-series",
            onclick: () => remove(info.code),
          },
          "×",
        ),
      ),
    ),
  );
  $("none-selected").hidden = state.selected.length > 0;
  document.querySelector(".explorer").classList.toggle("has-selection", state.selected.length > 0);
  renderSpreadPickers();
}

function renderSpreadPickers() {
  const codes = state.selected.map((s) => s.code);
  if (!codes.includes(state.spreadA)) state.spreadA = codes[0] || "";
  if (!codes.includes(state.spreadB) || state.spreadB === state.spreadA) {
    state.spreadB = codes.find((c) => c !== state.spreadA) || "";
  }
  for (const [id, value] of [
    ["spread-a", state.spreadA],
    ["spread-b", state.spreadB],
  ]) {
    const select = $(id);
    select.replaceChildren(
      ...state.selected.map((info) => el("option", { value: info.code, selected: info.code === value }, seriesName(info))),
    );
    select.value = value;
  }
  $("spread-toggle").checked = state.spread;
  $("spread-pickers").hidden = !state.spread || codes.length < 2;
}

function changed() {
  renderSelected();
  renderResults();
  writeAddress();
  draw();
}

// ---- data and charts -----------------------------------------------------------------------

async function observations(code) {
  const key = `${code}|${state.start}|${state.end}`;
  if (!observationCache.has(key)) {
    const request = api(`series/${encodeURIComponent(code)}/observations`, {
      query: { start: state.start, end: state.end, format: "json" },
    }).catch((err) => {
      observationCache.delete(key);
      throw err;
    });
    observationCache.set(key, request);
  }
  return observationCache.get(key);
}

function points(reply) {
  return (reply?.observations || [])
    .filter((o) => o && o.date && o.value !== null && o.value !== undefined)
    .map((o) => [o.date, o.value]);
}

function lineOption(lines, { title = "", units = [] } = {}) {
  const yAxis = (units.length ? units : [""]).slice(0, 2).map((unit, i) => ({
    type: "value",
    name: unitLabel(unit),
    scale: true,
    position: i ? "right" : "left",
    splitLine: { show: i === 0 },
  }));
  return {
    title: title ? { text: title, left: "center", textStyle: { fontSize: 14 } } : undefined,
    tooltip: { trigger: "axis" },
    legend: { type: "scroll", bottom: 0 },
    grid: { left: 60, right: yAxis.length > 1 ? 60 : 24, top: title ? 48 : 30, bottom: 64 },
    xAxis: { type: "time" },
    yAxis,
    dataZoom: [{ type: "inside" }],
    series: lines.map((line) => ({
      name: line.name,
      type: "line",
      showSymbol: false,
      connectNulls: false,
      yAxisIndex: Math.min(Math.max(units.indexOf(line.unit), 0), 1),
      data: line.data,
    })),
  };
}

async function draw() {
  const token = ++drawToken;
  const chartNode = $("explorer-chart");
  const spreadNode = $("spread-chart");
  const note = $("spread-note");
  $("chart-card").hidden = $("stats-card").hidden = !state.selected.length;
  if (!state.selected.length) {
    window.echarts?.getInstanceByDom(chartNode)?.clear();
    spreadNode.hidden = true;
    note.hidden = true;
    $("stats").replaceChildren();
    return;
  }
  let replies;
  try {
    replies = await Promise.all(state.selected.map((info) => observations(info.code)));
  } catch (err) {
    toast(errorText(err), "error");
    return;
  }
  if (token !== drawToken) return; // a newer choice is being drawn
  const lines = state.selected.map((info, i) => ({
    code: info.code,
    name: seriesName(info),
    unit: replies[i]?.unit || info.unit,
    data: points(replies[i]),
  }));
  const units = [...new Set(lines.map((l) => l.unit))];
  drawChart(chartNode, lineOption(lines, { units }));
  renderStats(lines);
  drawSpread(lines);
}

function drawSpread(lines) {
  const spreadNode = $("spread-chart");
  const note = $("spread-note");
  note.hidden = true;
  if (!state.spread) {
    spreadNode.hidden = true;
    return;
  }
  if (lines.length < 2) {
    spreadNode.hidden = true;
    note.textContent = t("explorer.spread_need_two");
    note.hidden = false;
    return;
  }
  const a = lines.find((l) => l.code === state.spreadA) || lines[0];
  const b = lines.find((l) => l.code === state.spreadB && l !== a) || lines.find((l) => l !== a);
  const bByDate = new Map(b.data);
  const data = a.data.filter(([d]) => bByDate.has(d)).map(([d, v]) => [d, Math.round((v - bByDate.get(d)) * 1e6) / 1e6]);
  if (a.unit !== b.unit) {
    note.textContent = t("explorer.spread_units");
    note.hidden = false;
  }
  spreadNode.hidden = false;
  const title = t("explorer.spread_title", { a: a.name, b: b.name });
  drawChart(spreadNode, lineOption([{ name: `${a.code} − ${b.code}`, unit: a.unit, data }], { title, units: [a.unit] }));
}

function renderStats(lines) {
  const rows = lines.map((line) => {
    const values = line.data.map(([, v]) => v);
    const first = values[0];
    const last = values[values.length - 1];
    return {
      code: line.code,
      name: line.name,
      unit: unitLabel(line.unit),
      last_date: line.data.length ? line.data[line.data.length - 1][0] : null,
      last,
      change: values.length ? last - first : null,
      pct: values.length && first ? ((last - first) / Math.abs(first)) * 100 : null,
      min: values.length ? Math.min(...values) : null,
      max: values.length ? Math.max(...values) : null,
      n: values.length,
    };
  });
  const num = (key, decimals = null) => (row) => formatNumber(row[key], decimals);
  const columns = [
    { key: "code", label: t("col.code") },
    { key: "name", label: t("col.name") },
    { key: "unit", label: t("col.unit") },
    { key: "last_date", label: t("col.last_date") },
    { key: "last", label: t("col.last"), render: num("last") },
    { key: "change", label: t("col.change"), render: num("change") },
    { key: "pct", label: t("col.pct"), render: (row) => (row.pct == null ? "—" : `${formatNumber(row.pct, 2)}%`) },
    { key: "min", label: t("col.min"), render: num("min") },
    { key: "max", label: t("col.max"), render: num("max") },
    { key: "n", label: t("col.n") },
    {
      key: "download",
      label: t("explorer.downloads"),
      render: (row) =>
        el(
          "span",
          { class: "downloads" },
          el(
            "button",
            { type: "button", class: "small", "data-testid": "download-csv", dataset: { code: row.code }, onclick: () => save(row.code, "csv") },
            t("explorer.csv"),
          ),
          el(
            "button",
            { type: "button", class: "small", "data-testid": "download-xlsx", dataset: { code: row.code }, onclick: () => save(row.code, "xlsx") },
            t("explorer.xlsx"),
          ),
        ),
    },
  ];
  $("stats").replaceChildren(table(rows, columns, { testid: "stats-table" }));
  if (rows.every((row) => !row.n)) $("stats").prepend(el("p", { class: "muted" }, t("explorer.no_data")));
}

async function save(code, format) {
  try {
    await download(
      `series/${encodeURIComponent(code)}/observations`,
      { query: { format, start: state.start, end: state.end } },
      `${code}.${format}`,
    );
  } catch (err) {
    toast(errorText(err), "error");
  }
}

// ---- set-up --------------------------------------------------------------------------------

async function preselect(codes) {
  const infos = await Promise.all(
    codes.map((code) =>
      api(`series/${encodeURIComponent(code)}`).catch((err) => {
        toast(`${code}: ${errorText(err)}`, "error");
        return null;
      }),
    ),
  );
  state.selected = infos.filter(Boolean).slice(0, MAX_SERIES);
  if (state.selected.length && (!state.start || !state.end)) {
    const start = state.start;
    applyRange("1y");
    if (start) state.start = start;
    $("start").value = state.start;
  }
}

async function setUp() {
  initPage();
  const codes = readAddress();
  $("start").value = state.start;
  $("end").value = state.end;
  const searchBox = $("series-search");
  searchBox.addEventListener(
    "input",
    debounce(() => search(searchBox.value.trim()), 250),
  );
  for (const id of ["start", "end"]) {
    $(id).addEventListener("change", () => {
      state[id] = $(id).value;
      writeAddress();
      draw();
    });
  }
  for (const button of document.querySelectorAll("[data-range]")) {
    button.addEventListener("click", () => {
      applyRange(button.dataset.range);
      writeAddress();
      draw();
    });
  }
  $("spread-toggle").addEventListener("change", () => {
    state.spread = $("spread-toggle").checked;
    changed();
  });
  $("spread-a").addEventListener("change", () => {
    state.spreadA = $("spread-a").value;
    changed();
  });
  $("spread-b").addEventListener("change", () => {
    state.spreadB = $("spread-b").value;
    changed();
  });
  document.addEventListener("langchange", () => {
    renderSelected();
    renderResults();
    draw();
  });
  const searching = search("");
  if (codes.length) await preselect(codes);
  await searching;
  changed();
  markReady();
}

setUp();

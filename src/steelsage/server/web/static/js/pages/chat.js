// The chat page: questions go to POST /api/v1/chat with the whole conversation so far
// (follow-ups), the reply streams as server-sent events (meta, delta…, answer, done), and each
// answer shows its chart, its verified badge, its sources as links into the explorer, and can
// be exported to Word. The conversation lives in sessionStorage so a citation round trip
// (chat → explorer → back) keeps it.

import { download, streamEvents } from "../api.js";
import { lang, t } from "../i18n.js";
import { drawChart, el, errorText, initPage, markReady, toast } from "../ui.js";

const STORE_KEY = "steelsage.chat";
const KEEP_TURNS = 30; // kept in the browser
const HISTORY_TURNS = 38; // sent to the server (it accepts 40 turns, 80 messages)
const MAX_CONTENT = 16000;

let turns = loadTurns();
let controller = null;

const messagesBox = () => document.getElementById("messages");
const input = () => document.getElementById("chat-input");

function loadTurns() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(STORE_KEY) || "[]");
    return Array.isArray(saved) ? saved.filter((turn) => turn && typeof turn.question === "string") : [];
  } catch {
    return [];
  }
}

function saveTurns() {
  const kept = turns.slice(-KEEP_TURNS).map(({ question, answer, error }) => ({ question, answer, error }));
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(kept));
  } catch {
    // Storage full (large charts): keep the text, drop the charts.
    const slim = kept.map((turn) => ({ ...turn, answer: turn.answer && { ...turn.answer, chart: null, trace: [] } }));
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(slim));
    } catch {
      /* give up quietly: the page still works, only the round trip loses history */
    }
  }
}

/** Answer text with `code` spans shown as code; everything else as plain text. */
function answerText(text) {
  const node = el("div", { class: "answer-text", "data-testid": "answer-text" });
  String(text || "")
    .split("`")
    .forEach((part, i) => node.append(i % 2 ? el("code", {}, part) : document.createTextNode(part)));
  return node;
}

function citationHref(source) {
  const params = new URLSearchParams({ series: source.series_code });
  if (source.start && source.end && source.start !== source.end) {
    params.set("start", source.start);
    params.set("end", source.end);
  }
  return `/explorer?${params}`;
}

function sourcesList(sources) {
  if (!sources?.length) return null;
  return el(
    "div",
    { class: "sources-block" },
    el("div", { class: "small-heading" }, t("chat.sources")),
    el(
      "ul",
      { class: "sources", "data-testid": "sources" },
      sources.map((s) => {
        const details = [
          s.name,
          s.version != null ? t("chat.version", { v: s.version }) : null,
          s.method || s.source,
          s.start && s.end && s.start !== s.end ? `${s.start} ~ ${s.end}` : s.end || s.start,
          s.licence,
        ].filter(Boolean);
        return el(
          "li",
          {},
          el(
            "a",
            { class: "citation", href: citationHref(s), "data-testid": "citation", dataset: { series: s.series_code } },
            s.series_code,
          ),
          details.length ? ` — ${details.join(" · ")}` : "",
        );
      }),
    ),
  );
}

function badge(answer) {
  const hasNumbers = answer.kind === "data" || (answer.values || []).length > 0;
  if (answer.verified && hasNumbers) {
    return el(
      "span",
      { class: "badge ok", title: t("chat.verified_title"), "data-testid": "verified-badge" },
      t("chat.verified"),
    );
  }
  if (hasNumbers) {
    return el(
      "span",
      { class: "badge warn", title: t("chat.unverified_title"), "data-testid": "unverified-badge" },
      t("chat.unverified"),
    );
  }
  return null;
}

function traceDetails(trace) {
  if (!trace?.length) return null;
  const lines = trace.map((step) => {
    const ms = typeof step.ms === "number" ? ` (${step.ms.toFixed(1)} ms)` : "";
    return `${step.step}: ${step.name}${ms}`;
  });
  return el("details", { class: "trace" }, el("summary", {}, t("chat.trace")), el("pre", {}, lines.join("\n")));
}

function assistantBody(turn, index) {
  // data-deltas: how many streamed pieces this answer arrived in (0 once reloaded).
  const bubble = el("div", { class: "bubble", "data-testid": "answer", dataset: { index, deltas: turn.deltas || 0 } });
  if (turn.error) {
    bubble.append(el("div", { class: "badge bad" }, t("common.error")), el("p", {}, turn.error));
    return bubble;
  }
  if (!turn.answer) {
    const text = answerText(turn.streaming || t("chat.thinking"));
    text.classList.add("streaming");
    bubble.append(text);
    return bubble;
  }
  const answer = turn.answer;
  bubble.append(answerText(answer.text));
  const meta = el("div", { class: "answer-meta" }, badge(answer));
  if (meta.childNodes.length) bubble.append(meta);
  if (answer.chart) bubble.append(el("div", { class: "chart", "data-testid": "answer-chart" }));
  const sources = sourcesList(answer.sources);
  if (sources) bubble.append(sources);
  if (answer.assumptions?.length) {
    bubble.append(el("p", { class: "assumptions" }, `${t("chat.assumptions")}: ${answer.assumptions.join("；")}`));
  }
  const trace = traceDetails(answer.trace);
  if (trace) bubble.append(trace);
  bubble.append(
    el(
      "div",
      { class: "answer-actions" },
      el(
        "button",
        { type: "button", class: "small", "data-testid": "export-answer", onclick: () => exportTurns([turn], turn.question) },
        t("chat.export_one"),
      ),
    ),
  );
  return bubble;
}

function turnNodes(turn, index) {
  const user = el(
    "div",
    { class: "msg user" },
    el("div", { class: "bubble", "data-testid": "question", "aria-label": t("chat.you") }, turn.question),
  );
  const reply = el("div", { class: "msg assistant", dataset: { index } }, assistantBody(turn, index));
  return [user, reply];
}

function drawCharts(root, turnList) {
  for (const node of root.querySelectorAll(".msg.assistant")) {
    const turn = turnList[Number(node.dataset.index)];
    const chartNode = node.querySelector(".chart");
    if (turn?.answer?.chart && chartNode) drawChart(chartNode, turn.answer.chart);
  }
}

function renderAll() {
  const box = messagesBox();
  box.querySelectorAll(".msg").forEach((node) => node.remove());
  document.getElementById("chat-empty").hidden = turns.length > 0;
  turns.forEach((turn, i) => box.append(...turnNodes(turn, i)));
  drawCharts(box, turns);
  scrollDown();
}

function rerenderTurn(index) {
  const node = messagesBox().querySelector(`.msg.assistant[data-index="${index}"]`);
  if (!node) return;
  node.replaceChildren(assistantBody(turns[index], index));
  const chartNode = node.querySelector(".chart");
  if (turns[index].answer?.chart && chartNode) drawChart(chartNode, turns[index].answer.chart);
}

function scrollDown() {
  const box = messagesBox();
  box.scrollTop = box.scrollHeight;
}

/** The conversation as OpenAI-style messages: earlier answered turns, then the new question. */
function conversationFor(question) {
  const messages = [];
  for (const turn of turns.slice(0, -1).filter((x) => x.answer).slice(-HISTORY_TURNS)) {
    messages.push({ role: "user", content: turn.question.slice(0, MAX_CONTENT) });
    messages.push({ role: "assistant", content: String(turn.answer.text || "").slice(0, MAX_CONTENT) });
  }
  messages.push({ role: "user", content: question.slice(0, MAX_CONTENT) });
  return messages;
}

function setBusy(busy) {
  const send = document.getElementById("chat-send");
  send.dataset.i18n = busy ? "chat.stop" : "chat.send";
  send.textContent = t(send.dataset.i18n);
  send.classList.toggle("danger", busy);
  send.dataset.busy = busy ? "1" : "";
}

async function ask(question) {
  question = question.trim();
  if (!question || controller) return;
  const turn = { question, answer: null, streaming: "", error: null };
  turns.push(turn);
  const index = turns.length - 1;
  document.getElementById("chat-empty").hidden = true;
  messagesBox().append(...turnNodes(turn, index));
  scrollDown();
  controller = new AbortController();
  setBusy(true);
  const messages = conversationFor(question);
  try {
    await streamEvents(
      "chat",
      { messages, stream: true },
      (name, data) => {
        if (name === "delta" && data && typeof data.text === "string") {
          turn.streaming += data.text;
          turn.deltas = (turn.deltas || 0) + 1;
          const text = messagesBox().querySelector(`.msg.assistant[data-index="${index}"] .answer-text`);
          if (text) {
            text.textContent = turn.streaming;
            scrollDown();
          }
        } else if (name === "answer") {
          turn.answer = data;
        } else if (name === "error") {
          turn.error = errorText({ message: data?.error?.message || data?.message });
        }
      },
      { signal: controller.signal },
    );
    if (!turn.answer && !turn.error) turn.error = t("chat.failed", { msg: t("common.error") });
  } catch (err) {
    turn.error = err?.name === "AbortError" ? t("chat.stopped") : t("chat.failed", { msg: errorText(err) });
  } finally {
    controller = null;
    setBusy(false);
    delete turn.streaming;
    rerenderTurn(index);
    delete turn.deltas;
    scrollDown();
    saveTurns();
  }
}

/** Send turns (question + answer, without chart and trace) for a .docx download. */
async function exportTurns(list, title) {
  const answered = list.filter((turn) => turn.answer);
  if (!answered.length) {
    toast(t("chat.nothing_to_export"), "error");
    return;
  }
  toast(t("chat.exporting"));
  const body = {
    title: (title || t("chat.export_title")).slice(0, 200),
    lang: lang(),
    turns: answered.slice(-50).map((turn) => ({
      question: turn.question.slice(0, 2000),
      answer: { ...turn.answer, chart: null, trace: [] },
    })),
  };
  try {
    await download("export/docx", { method: "POST", body }, "steelsage.docx");
  } catch (err) {
    toast(errorText(err), "error");
  }
}

function autoGrow() {
  const box = input();
  box.style.height = "auto";
  box.style.height = `${Math.min(box.scrollHeight, window.innerHeight * 0.3)}px`;
}

function setUp() {
  initPage();
  const form = document.getElementById("chat-form");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (controller) {
      controller.abort();
      return;
    }
    const question = input().value;
    if (!question.trim()) return;
    input().value = "";
    autoGrow();
    ask(question);
  });
  input().addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit();
    }
  });
  input().addEventListener("input", autoGrow);
  for (const button of document.querySelectorAll(".example")) {
    button.addEventListener("click", () => ask(button.textContent));
  }
  document.getElementById("chat-new").addEventListener("click", () => {
    if (controller) controller.abort();
    turns = [];
    saveTurns();
    renderAll();
    input().focus();
  });
  document.getElementById("export-conversation").addEventListener("click", () => exportTurns(turns, null));
  document.addEventListener("langchange", renderAll);
  renderAll();
  markReady();
  const initial = new URLSearchParams(location.search).get("q");
  if (initial) ask(initial);
}

setUp();

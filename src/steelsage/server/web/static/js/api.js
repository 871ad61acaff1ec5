// The JSON API from the browser: same-origin cookies, the CSRF header on unsafe methods,
// one error type, file downloads and server-sent events read from a fetch stream.

import { pickLang, t } from "./i18n.js";

export const API = "/api/v1";
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** An API failure: HTTP status, the server's machine-readable code and its message. */
export class ApiError extends Error {
  constructor(status, code, message, body = null) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

/** The CSRF token the server set in the `steelsage_csrf` cookie (readable by design). */
export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "steelsage_csrf") return decodeURIComponent(rest.join("="));
  }
  return window.__steelsageBoot?.csrf_token || "";
}

function headersFor(method, json) {
  const headers = { Accept: "application/json" };
  if (json) headers["Content-Type"] = "application/json";
  if (UNSAFE.has(method)) headers["X-CSRF-Token"] = csrfToken();
  return headers;
}

function withQuery(path, query) {
  const url = new URL(path.startsWith("/") ? path : `${API}/${path}`, location.origin);
  for (const [key, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, value);
  }
  return url.pathname + url.search;
}

async function send(path, { method = "GET", body, query, signal, accept } = {}) {
  const json = body !== undefined;
  const headers = headersFor(method, json);
  if (accept) headers.Accept = accept;
  let response;
  try {
    response = await fetch(withQuery(path, query), {
      method,
      headers,
      body: json ? JSON.stringify(body) : undefined,
      credentials: "same-origin",
      signal,
    });
  } catch (err) {
    if (err?.name === "AbortError") throw err;
    throw new ApiError(0, "network", t("common.network"));
  }
  if (!response.ok) throw await toError(response);
  return response;
}

async function toError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const code = body?.error?.code || `http_${response.status}`;
  const message = pickLang(body?.error?.message) || `${t("common.error")} (${response.status})`;
  if (response.status === 401 && !location.pathname.startsWith("/login")) {
    // The session ended: back to the sign-in page, returning here afterwards.
    const next = encodeURIComponent(location.pathname + location.search);
    setTimeout(() => location.assign(`/login?next=${next}`), 800);
  }
  return new ApiError(response.status, code, message, body);
}

let pending = 0;

/** Count requests in flight on <html data-pending> (tests wait for it to go away). */
async function tracked(work) {
  pending += 1;
  document.documentElement.dataset.pending = String(pending);
  try {
    return await work();
  } finally {
    pending -= 1;
    if (pending) document.documentElement.dataset.pending = String(pending);
    else delete document.documentElement.dataset.pending;
  }
}

/** Call a JSON endpoint; resolves to the parsed body (or null for an empty reply). */
export function api(path, options = {}) {
  return tracked(async () => {
    const response = await send(path, options);
    if (response.status === 204) return null;
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  });
}

/** The file name from a Content-Disposition header, else `fallback`. */
function fileName(response, fallback) {
  const header = response.headers.get("Content-Disposition") || "";
  const star = header.match(/filename\*=UTF-8''([^;]+)/i);
  if (star) return decodeURIComponent(star[1]);
  const plain = header.match(/filename="?([^";]+)"?/i);
  return plain ? plain[1] : fallback;
}

/** Fetch a file (GET or POST) and hand it to the browser as a download. */
export function download(path, options = {}, fallback = "download") {
  return tracked(() => saveFile(path, options, fallback));
}

async function saveFile(path, options, fallback) {
  const response = await send(path, { ...options, accept: "*/*" });
  const blob = await response.blob();
  const name = fileName(response, fallback);
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
  return name;
}

/**
 * POST a JSON body and read a `text/event-stream` reply as it arrives.
 * `onEvent(name, data)` is called per event with the parsed JSON data.
 */
export async function streamEvents(path, body, onEvent, { signal } = {}) {
  const response = await send(path, { method: "POST", body, signal, accept: "text/event-stream" });
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("text/event-stream")) {
    // A server that answered in one piece: treat it as the final answer.
    onEvent("answer", await response.json());
    onEvent("done", {});
    return;
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true }).replace(/\r\n/g, "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      dispatch(block, onEvent);
    }
  }
  buffer += decoder.decode();
  if (buffer.trim()) dispatch(buffer, onEvent);
}

function dispatch(block, onEvent) {
  let name = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) continue; // comment / keep-alive
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") name = value;
    else if (field === "data") data.push(value);
  }
  if (!data.length && name === "message") return;
  let parsed = data.join("\n");
  try {
    parsed = parsed ? JSON.parse(parsed) : {};
  } catch {
    /* leave as text */
  }
  onEvent(name, parsed);
}

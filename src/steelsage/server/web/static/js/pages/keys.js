// API-key management: list your keys, create one (shown once, with a copy button), revoke.

import { api } from "../api.js";
import { t } from "../i18n.js";
import { cellText, copyText, el, errorText, initPage, listIn, markReady, table, toast } from "../ui.js";

const $ = (id) => document.getElementById(id);

async function loadKeys() {
  const box = $("keys");
  try {
    const keys = listIn(await api("keys"), "keys");
    if (!keys.length) {
      box.replaceChildren(el("p", { class: "muted empty" }, t("keys.none")));
      return;
    }
    const columns = [
      { key: "name", label: t("keys.name") },
      { key: "prefix", label: t("keys.prefix"), render: (row) => el("code", {}, `ssk_${row.prefix}_…`) },
      { key: "created_at", label: t("keys.created_at") },
      { key: "last_used_at", label: t("keys.last_used_at") },
      {
        key: "revoked_at",
        label: t("keys.status"),
        render: (row) =>
          row.revoked_at
            ? el("span", { class: "badge bad" }, `${t("keys.revoked")} ${ cellText(row.revoked_at)}`)
            : el("span", { class: "badge ok" }, t("keys.active")),
      },
      {
        key: "actions",
        label: t("common.actions"),
        render: (row) =>
          row.revoked_at
            ? ""
            : el(
                "button",
                { type: "button", class: "small danger", "data-testid": "revoke-key", dataset: { id: row.id }, onclick: () => revoke(row) },
                t("keys.revoke"),
              ),
      },
    ];
    box.replaceChildren(
      table(keys, columns, { testid: "keys-table", rowAttrs: (row) => ({ "data-testid": "key-row", "data-key-id": row.id }) }),
    );
  } catch (err) {
    box.replaceChildren(el("p", { class: "form-error" }, errorText(err)));
  }
}

async function revoke(row) {
  if (!confirm(t("keys.confirm_revoke", { name: row.name || row.prefix }))) return;
  try {
    await api(`keys/${encodeURIComponent(row.id)}`, { method: "DELETE" });
    toast(t("common.done"));
    await loadKeys();
  } catch (err) {
    toast(errorText(err), "error");
  }
}

async function create(event) {
  event.preventDefault();
  const name = $("key-name").value.trim();
  if (!name) {
    $("key-name").focus();
    return;
  }
  const button = $("key-create");
  button.disabled = true;
  try {
    const reply = await api("keys", { method: "POST", body: { name } });
    $("new-key").value = reply?.key || "";
    $("new-key-box").hidden = false;
    $("new-key").select();
    $("key-name").value = "";
    await loadKeys();
  } catch (err) {
    toast(errorText(err), "error");
  } finally {
    button.disabled = false;
  }
}

function setUp() {
  initPage();
  $("key-form").addEventListener("submit", create);
  $("copy-key").addEventListener("click", async () => {
    const ok = await copyText($("new-key").value, $("new-key"));
    toast(ok ? t("common.copied") : t("common.error"), ok ? "ok" : "error");
  });
  document.addEventListener("langchange", loadKeys);
  loadKeys();
  markReady();
}

setUp();

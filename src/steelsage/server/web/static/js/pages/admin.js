// Administration: users (create, change role, deactivate, grant and revoke packages) and
// data packages (define or update).

import { api } from "../api.js";
import { t } from "../i18n.js";
import { bootData, cellText, el, errorText, initPage, listIn, markReady, table, toast } from "../ui.js";

const $ = (id) => document.getElementById(id);
const ROLES = ["admin", "editor", "analyst", "subscriber"];
let packages = [];

function packageName(p) {
  return typeof p === "string" ? p : p?.name;
}

async function loadAll() {
  try {
    const [usersReply, packagesReply] = await Promise.all([api("admin/users"), api("admin/packages")]);
    packages = listIn(packagesReply, "packages");
    renderUsers(listIn(usersReply, "users"));
    renderPackages();
  } catch (err) {
    $("users").replaceChildren(el("p", { class: "form-error" }, errorText(err)));
  }
}

async function patchUser(username, body) {
  try {
    await api(`admin/users/${encodeURIComponent(username)}`, { method: "PATCH", body });
    toast(t("admin.saved"));
  } catch (err) {
    toast(errorText(err), "error");
  }
  await loadAll();
}

async function grant(username, pkg) {
  if (!pkg) return;
  try {
    await api(`admin/users/${encodeURIComponent(username)}/packages`, { method: "POST", body: { package: pkg } });
    toast(t("admin.saved"));
  } catch (err) {
    toast(errorText(err), "error");
  }
  await loadAll();
}

async function revoke(username, pkg) {
  try {
    await api(`admin/users/${encodeURIComponent(username)}/packages/${encodeURIComponent(pkg)}`, { method: "DELETE" });
    toast(t("admin.saved"));
  } catch (err) {
    toast(errorText(err), "error");
  }
  await loadAll();
}

/** The signed-in admin: no changing one's own role or switching oneself off from here. */
function isMe(user) {
  return user.username === bootData().user?.username;
}

function roleSelect(user) {
  const select = el(
    "select",
    {
      "aria-label": `${t("admin.role")} ${user.username}`,
      "data-testid": "user-role",
      dataset: { username: user.username },
      disabled: isMe(user),
    },
    ROLES.map((role) => el("option", { value: role, selected: role === user.role }, t(`role.${role}`))),
  );
  select.value = user.role;
  select.addEventListener("change", () => patchUser(user.username, { role: select.value }));
  return select;
}

function packageCell(user) {
  const held = (user.packages || []).map(packageName).filter(Boolean);
  const chips = held.map((name) =>
    el(
      "span",
      { class: "chip", "data-testid": "user-package", dataset: { package: name } },
      name,
      el(
        "button",
        {
          type: "button",
          title: t("admin.revoke"),
          "aria-label": `${t("admin.revoke")} ${name}`,
          "data-testid": "revoke-package",
          onclick: () => revoke(user.username, name),
        },
        "×",
      ),
    ),
  );
  const choices = packages.map(packageName).filter((name) => name && !held.includes(name));
  const picker = el(
    "select",
    { "aria-label": t("admin.grant"), "data-testid": "grant-select", dataset: { username: user.username } },
    el("option", { value: "" }, t("admin.choose_package")),
    choices.map((name) => el("option", { value: name }, name)),
  );
  const button = el(
    "button",
    { type: "button", class: "small", "data-testid": "grant-package", onclick: () => grant(user.username, picker.value) },
    t("admin.grant"),
  );
  return el("div", { class: "pkg-cell" }, chips, choices.length ? [picker, button] : null);
}

function renderUsers(users) {
  const columns = [
    { key: "username", label: t("admin.username") },
    { key: "display_name", label: t("admin.display_name") },
    { key: "role", label: t("admin.role"), render: roleSelect },
    {
      key: "active",
      label: t("admin.active"),
      render: (user) => {
        const active = user.active !== false;
        return el(
          "div",
          { class: "row-actions" },
          el("span", { class: `badge ${active ? "ok" : "bad"}` }, active ? t("admin.is_active") : t("admin.inactive")),
          el(
            "button",
            {
              type: "button",
              class: `small ${active ? "danger" : ""}`,
              "data-testid": active ? "deactivate-user" : "activate-user",
              disabled: isMe(user),
              onclick: () => patchUser(user.username, { active: !active }),
            },
            active ? t("admin.deactivate") : t("admin.activate"),
          ),
        );
      },
    },
    { key: "packages", label: t("admin.user_packages"), render: packageCell },
  ];
  $("users").replaceChildren(
    table(users, columns, { testid: "users-table", rowAttrs: (u) => ({ "data-testid": "user-row", "data-username": u.username }) }),
  );
}

function renderPackages() {
  const keys = ["name", "description", "commodities", "products", "regions", "kinds", "series", "history_days", "delay_days"];
  const columns = keys.map((key) => ({
    key,
    label: t(`admin.pkg.${key}`).replace(/（.*|\(.*/, "").trim(),
    render: (row) => (Array.isArray(row[key]) ? row[key].join(", ") || "—" : cellText(row[key])),
  }));
  $("packages").replaceChildren(table(packages, columns, { testid: "packages-table" }));
}

const listField = (value) =>
  value
    .split(/[,，\s]+/)
    .map((v) => v.trim())
    .filter(Boolean);

async function createUser(event) {
  event.preventDefault();
  const form = event.target;
  const body = {
    username: form.elements.namedItem("username").value.trim(),
    display_name: form.elements.namedItem("display_name").value.trim() || null,
    password: form.elements.namedItem("password").value,
    role: form.elements.namedItem("role").value,
  };
  try {
    await api("admin/users", { method: "POST", body });
    toast(t("admin.user_created", { name: body.username }));
    form.reset();
    await loadAll();
  } catch (err) {
    toast(errorText(err), "error");
  }
}

async function createPackage(event) {
  event.preventDefault();
  const form = event.target;
  const number = (v) => (v === "" ? null : Number(v));
  const body = {
    name: form.elements.namedItem("name").value.trim(),
    description: form.elements.namedItem("description").value.trim(),
    commodities: listField(form.elements.namedItem("commodities").value),
    products: listField(form.elements.namedItem("products").value),
    regions: listField(form.elements.namedItem("regions").value),
    kinds: listField(form.elements.namedItem("kinds").value),
    series: listField(form.elements.namedItem("series").value),
    history_days: number(form.elements.namedItem("history_days").value),
    delay_days: number(form.elements.namedItem("delay_days").value) ?? 0,
  };
  try {
    await api("admin/packages", { method: "POST", body });
    toast(t("admin.pkg.created", { name: body.name }));
    form.reset();
    await loadAll();
  } catch (err) {
    toast(errorText(err), "error");
  }
}

function setUp() {
  initPage();
  $("user-form").addEventListener("submit", createUser);
  $("package-form").addEventListener("submit", createPackage);
  document.addEventListener("langchange", loadAll);
  loadAll();
  markReady();
}

setUp();

"""The web UI's HTML pages and static files.

Pages are thin shells: the server checks who is signed in (browser session cookie, through
``optional_user``), sends anonymous visitors to ``/login?next=…``, refuses pages a role may
not open, and renders a template with a little boot data (user, role, unit names). The page's
JavaScript then calls the JSON API under ``/api/v1`` with the same session. Everything the
browser loads is served from ``/static`` — no CDN, nothing fetched from elsewhere.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from steelsage.server.deps import OptionalUser

WEB_DIR = Path(__file__).resolve().parent.parent / "web"
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"

# Pages may only load what this origin serves. ECharts sets inline styles, hence
# 'unsafe-inline' for styles only; scripts are files from /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@dataclass(frozen=True)
class Page:
    path: str
    name: str  # template and script name
    roles: frozenset[str] | None = None  # None: every signed-in user
    charts: bool = False  # load ECharts


PAGES = (
    Page("/", "chat", charts=True),
    Page("/explorer", "explorer", charts=True),
    Page("/ops", "ops", roles=frozenset({"admin", "editor"})),
    Page("/keys", "keys"),
    Page("/admin", "admin", roles=frozenset({"admin"})),
)


def mount(app: FastAPI) -> None:
    """Serve ``/static`` and the pages on ``app`` (outside the OpenAPI schema)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    version = _asset_version(STATIC_DIR)
    templates.env.globals["static"] = lambda path: f"/static/{path}?v={version}"
    app.mount("/static", RevalidatedStaticFiles(directory=str(STATIC_DIR)), name="static")

    router = APIRouter(include_in_schema=False)
    for page in PAGES:
        router.add_api_route(
            page.path, _page_endpoint(page, templates), methods=["GET"], name=f"page_{page.name}"
        )

    @router.get("/login", name="page_login")
    async def login_page(request: Request, user: OptionalUser) -> Response:
        target = safe_next(request.query_params.get("next"))
        if user is not None:
            return RedirectResponse(target, status_code=303)
        return _render(templates, request, "login", None, next_path=target)

    app.include_router(router)


class RevalidatedStaticFiles(StaticFiles):
    """Static files the browser re-checks (ETag → 304) on each use: JavaScript modules import
    each other by plain URLs, so a long cache would mix old and new modules after an update."""

    def file_response(self, *args: Any, **kwargs: Any) -> Response:
        response = super().file_response(*args, **kwargs)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def _page_endpoint(page: Page, templates: Jinja2Templates) -> Any:
    async def endpoint(request: Request, user: OptionalUser) -> Response:
        if user is None:
            here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={quote(here, safe='')}", status_code=303)
        if page.roles is not None and user.role not in page.roles:
            return _render(templates, request, "forbidden", user, status_code=403)
        return _render(templates, request, page.name, user, charts=page.charts)

    endpoint.__name__ = f"page_{page.name}"
    return endpoint


def _render(
    templates: Jinja2Templates,
    request: Request,
    name: str,
    user: Any,
    *,
    charts: bool = False,
    next_path: str = "/",
    status_code: int = 200,
) -> Response:
    boot: dict[str, Any] = {"page": name, "units": unit_names()}
    if user is not None:
        boot["user"] = user.public()
    context = {
        "page": name,
        "user": user,
        "charts": charts,
        "boot": boot,
        "next": next_path,
        "lang": page_lang(request),
        "title": "钢铁智询 steelsage",
    }
    response = templates.TemplateResponse(request, f"{name}.html", context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response


def safe_next(value: str | None) -> str:
    """Where to go after signing in: a path on this site only (no open redirect)."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return "/"
    if value.startswith("/login") or any(c in value for c in "\r\n\t"):
        return "/"
    return value[:2000]


def page_lang(request: Request) -> str:
    """The language hint for ``<html lang>``: ``?lang=``, then the cookie the UI sets."""
    chosen = request.query_params.get("lang") or request.cookies.get("steelsage_lang")
    return "en" if chosen == "en" else "zh"


_UNITS: dict[str, list[str]] | None = None


def unit_names() -> dict[str, list[str]]:
    """Unit code → [Chinese, English] from the catalog, for labels in the browser."""
    global _UNITS
    if _UNITS is None:
        from steelsage.catalog import load_catalog

        _UNITS = {code: [unit.name_zh, unit.name_en] for code, unit in load_catalog().units.items()}
    return _UNITS


def _asset_version(root: Path) -> str:
    """A short hash of the static files' names, sizes and times: new files, new URLs."""
    digest = hashlib.sha1()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            stat = path.stat()
            digest.update(f"{path.relative_to(root)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:10]

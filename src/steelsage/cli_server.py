"""``steelsage serve``: the API, the OpenAI-compatible API and the web UI, with uvicorn."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

err_console = Console(stderr=True)


def register(app: typer.Typer, engine_factory: Any) -> None:
    @app.command("serve")
    def serve(
        host: Annotated[str | None, typer.Option(help="监听地址 / bind address")] = None,
        port: Annotated[int | None, typer.Option(help="端口 / port")] = None,
        workers: Annotated[int | None, typer.Option(help="进程数 / worker processes")] = None,
    ) -> None:
        """启动服务 / serve the REST API, the OpenAI-compatible API and the web UI."""
        import uvicorn

        from steelsage.server.settings import InsecureSettingsError, get_server_settings

        settings = get_server_settings()
        try:
            settings.check()
        except InsecureSettingsError as exc:
            err_console.print(f"[red]错误 / error:[/red] {exc}")
            raise typer.Exit(1) from None
        engine_factory()  # create or migrate the schema once, before the workers start
        bind_host, bind_port = host or settings.host, port or settings.port
        err_console.print(
            f"steelsage: http://{bind_host}:{bind_port}/  (API: /api/v1/docs, OpenAI: /v1)"
        )
        uvicorn.run(
            "steelsage.server.app:create_app",
            factory=True,
            host=bind_host,
            port=bind_port,
            workers=workers or settings.workers,
            log_level="warning",
        )

"""``steelsage serve``: the API, the OpenAI-compatible API and the web UI, with uvicorn."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console

err_console = Console(stderr=True)


def register(app: typer.Typer, engine_factory: Any, demo_app: typer.Typer | None = None) -> None:
    if demo_app is not None:

        @demo_app.command("accounts")
        def demo_accounts() -> None:
            """演示账号 / create the demo sign-ins (one per role) and print them."""
            from steelsage.server.auth.demo import create_demo_accounts
            from steelsage.server.settings import get_server_settings

            if get_server_settings().env == "production":
                err_console.print(
                    "[red]错误 / error:[/red] 生产模式下不创建演示账号 / demo accounts are "
                    "refused in production mode"
                )
                raise typer.Exit(1)
            accounts = create_demo_accounts(engine_factory())
            print("演示账号 / demo sign-ins (demo database only):")
            for a in accounts:
                extra = f"  packages: {', '.join(a.packages)}" if a.packages else ""
                print(f"  {a.role:<10} {a.username:<11} {a.password}{extra}")

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

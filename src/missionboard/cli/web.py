"""``missionboard serve`` and ``missionboard users …``: run the web app and manage its accounts."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from missionboard.cli import lazy
from missionboard.cli.context import app_context, console, print_json
from missionboard.errors import InputError, Problem

if TYPE_CHECKING:
    from missionboard.services import accounts, glance_admin
    from missionboard.store.workspace import Workspace
else:
    accounts = lazy.module("missionboard.services.accounts")  # argon2, SQLAlchemy: loaded by the commands
    glance_admin = lazy.module("missionboard.services.glance_admin")

users_app = typer.Typer(help="Accounts of the web app and API: add, list, give roles, make API tokens.")

FORMAT = typer.Option("text", "--format", help="text or json")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def server_options(host: str, port: int, forwarded_allow_ips: str | None = None) -> dict[str, Any]:
    """How uvicorn is to listen. Proxy headers (``X-Forwarded-For``, ``X-Forwarded-Proto``) are trusted only
    from the addresses in ``forwarded_allow_ips`` and ignored when it is not given: otherwise any client
    could pick the address that login throttling, rate limits and the audit log see."""
    allowed = (forwarded_allow_ips or "").strip()
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "proxy_headers": bool(allowed),
        "forwarded_allow_ips": allowed or None,
    }


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="Port to listen on."),
    secure_cookies: bool | None = typer.Option(
        None,
        "--secure-cookies/--insecure-cookies",
        help="Mark cookies Secure (HTTPS only). Default: secure unless listening on loopback over plain HTTP.",
        show_default=False,
    ),
    workers: int = typer.Option(
        1, "--workers", min=1, max=32, help="Worker processes (use the number of CPU cores under load)."
    ),
    forwarded_allow_ips: str | None = typer.Option(
        None,
        "--forwarded-allow-ips",
        help=(
            "Behind a reverse proxy: comma-separated addresses (or '*') of the proxies whose X-Forwarded-For "
            "and X-Forwarded-Proto are trusted. Default: none; the headers are ignored."
        ),
    ),
) -> None:
    """Serve the web app and the JSON API (docs at /api/docs)."""
    import uvicorn

    from missionboard.web import create_app

    context = app_context(ctx)
    workspace = context.workspace()
    secure = not _is_loopback(host) if secure_cookies is None else secure_cookies
    if not secure and not _is_loopback(host):
        console.print("[yellow]warning:[/yellow] cookies are not marked Secure; serve behind HTTPS.")
    app = create_app(workspace, secure_cookies=secure, prewarm=True)
    mode = ", read-only: reads and API tokens only" if workspace.read_only else ""
    console.print(f"missionboard on http://{host}:{port}  (workspace {workspace.url}{mode})", highlight=False)
    if not accounts.list_users(workspace):
        console.print("no accounts yet: add one with 'missionboard users add NAME --admin'", highlight=False)
    options = server_options(host, port, forwarded_allow_ips)
    ctx.with_resource(context.serving(host, port, workers))  # 'missionboard info' names this server
    if workers == 1:
        uvicorn.run(app, **options)
        return
    import os

    # Each worker process opens the workspace itself, from the environment.
    os.environ["MISSIONBOARD_DATABASE_URL"] = context.settings.url()
    os.environ["MISSIONBOARD_SECURE_COOKIES"] = "1" if secure else "0"
    os.environ["MISSIONBOARD_READ_ONLY"] = "1" if workspace.read_only else "0"
    from missionboard.web.workers import serve_workers

    serve_workers("missionboard.web.app:from_environment", workers=workers, **options)


DEMO_USER = "demo"
DEMO_PASSWORD = "missionboard-demo"


def ensure_demo_account(workspace: Workspace) -> None:
    """The demo's admin login, created once (a demo built with --no-serve can be served later)."""
    from missionboard.errors import NotFound

    try:
        accounts.get_account(workspace, DEMO_USER)
    except NotFound:
        accounts.create_user(
            workspace, DEMO_USER, DEMO_PASSWORD, admin=True, display_name="Demo admin", by="demo"
        )


def serve_workspace(url: str, *, host: str = "127.0.0.1", port: int = 8000, demo: bool = False) -> None:
    """Serve the workspace at ``url`` (used by ``missionboard demo``): with ``demo``, make sure a demo admin
    account exists and print its login first. Secure cookies unless ``host`` is a loopback address."""
    import uvicorn

    from missionboard.store.workspace import Workspace
    from missionboard.web import create_app

    workspace = Workspace.open(url)
    if demo:
        ensure_demo_account(workspace)
        console.print(
            f"log in at http://{host}:{port} as [bold]{DEMO_USER}[/bold] / [bold]{DEMO_PASSWORD}[/bold]",
            highlight=False,
        )
    app = create_app(workspace, secure_cookies=not _is_loopback(host), prewarm=True)
    console.print(f"missionboard on http://{host}:{port}  (Ctrl-C to stop)", highlight=False)
    uvicorn.run(app, **server_options(host, port))


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: str = typer.Argument(..., help="Login name."),
    password: str = typer.Option(
        ...,
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="At least 10 characters.",
    ),
    admin: bool = typer.Option(False, "--admin", help="Make a workspace admin."),
    name: str = typer.Option("", "--name", help="Display name."),
    fmt: str = FORMAT,
) -> None:
    """Add a local account (password hashed with argon2id)."""
    context = app_context(ctx)
    account = accounts.create_user(
        context.workspace(), username, password, admin=admin, display_name=name, by=context.user
    )
    if fmt == "json":
        print_json(account.as_dict())
    else:
        console.print(f"added {account.username}{' (admin)' if admin else ''}", highlight=False)


@users_app.command("list")
def users_list(ctx: typer.Context, fmt: str = FORMAT) -> None:
    """Every account with its roles."""
    app = app_context(ctx)
    users = glance_admin.account_list(app.settings, lambda: accounts.list_users(app.workspace()))
    if fmt == "json":
        print_json([u.as_dict() for u in users])
        return
    table = Table("user", "name", "admin", "active", "roles")
    for u in users:
        roles = ", ".join(f"{m}: {r.value}" for m, r in sorted(u.roles.items()))
        table.add_row(
            u.username, u.display_name, "yes" if u.is_admin else "", "yes" if u.is_active else "no", roles
        )
    console.print(table)


@users_app.command("set-role")
def users_set_role(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    mission: str = typer.Argument(..., help="Mission id."),
    role: str = typer.Argument(..., help="owner, editor, reviewer, viewer, or none to remove."),
    fmt: str = FORMAT,
) -> None:
    """Give a user a role on one mission (or remove it with 'none')."""
    from missionboard.services.missions import get_mission

    context = app_context(ctx)
    workspace = context.workspace()
    get_mission(workspace, mission)
    account = accounts.set_role(workspace, username, mission, role, by=context.user)
    if fmt == "json":
        print_json(account.as_dict())
    else:
        held = account.role_on(mission)
        console.print(f"{username} on {mission}: {held.value if held else 'no role'}", highlight=False)


@users_app.command("set-admin")
def users_set_admin(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    admin: bool = typer.Option(True, "--admin/--not-admin", help="Grant or remove workspace admin."),
) -> None:
    """Make a user a workspace admin, or take it away."""
    context = app_context(ctx)
    account = accounts.set_admin(context.workspace(), username, admin, by=context.user)
    console.print(f"{account.username}: {'admin' if account.is_admin else 'not admin'}", highlight=False)


@users_app.command("token")
def users_token(
    ctx: typer.Context,
    username: str = typer.Argument(...),
    name: str = typer.Option("script", "--name", help="What the token is for."),
    expires: str | None = typer.Option(
        None,
        "--expires",
        help="When it stops working: 30d, 12h, 2w from now, or a date YYYY-MM-DD (00:00 UTC). Default: never.",
    ),
    read_only: bool = typer.Option(
        False, "--read-only", help="It may only read (GET); any write is refused with 403."
    ),
) -> None:
    """Create an API token for scripts; it is printed once and only its hash is stored.

    Example: missionboard users token ana --name nightly --expires 30d --read-only
    """
    context = app_context(ctx)
    if not name.strip():
        raise InputError(Problem("users token", None, "--name", "must not be empty"))
    expires_at = None if expires is None else accounts.parse_expiry(expires)
    token = accounts.create_token(
        context.workspace(),
        username,
        name.strip(),
        by=context.user,
        expires_at=expires_at,
        read_only=read_only,
    )
    typer.echo(token)

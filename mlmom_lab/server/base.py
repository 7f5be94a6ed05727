"""What every mlmom handler shares: authentication, the project, JSON errors, work off the loop.

The project is the folder holding ``mlmom.yaml`` nearest to ``?path=`` (a file or folder the
user has open, relative to the server's root directory). A path that resolves outside the
root, by ``..`` or a symlink, is refused with 403; no project there is a 404 that says how to
make one. Errors are the core's :class:`~mlmom_lab.errors.MlmomError` codes, mapped to a
status by the shared table and written as ``{"error": ..., "code": ...}``, never a traceback.
Every answer is checked against its model in :mod:`.wire`, the contract the lab is built on.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from tornado import web

from ..errors import Forbidden, InvalidRequest, MlmomError, NotFound, error_body, http_status
from . import wire
from .wire import Answer

AUTH_RESOURCE = "mlmom"  # what jupyter_server's authorizer is asked about


@dataclass(frozen=True)
class HtmlPage:
    """An HTML answer (a rendered notebook) instead of JSON. It is served sandboxed: its
    scripts run in an opaque origin, so they reach neither the Jupyter API nor the network."""

    html: str
    POLICY = (
        "sandbox allow-scripts allow-popups; default-src 'none'; img-src data:; "
        "font-src data:; style-src 'unsafe-inline' data:; script-src 'unsafe-inline'; "
        "frame-ancestors 'self'"
    )


class MlmomHandler(APIHandler):
    """A JSON API handler whose work runs in a thread and whose errors are the core's."""

    auth_resource = AUTH_RESOURCE

    def project(self):
        """The project of ``?path=`` (default: the root), inside the server's root only."""
        from ..project import find_project_root, load_project

        root = Path(self.settings["server_root_dir"]).expanduser().resolve()
        given = self.get_query_argument("path", "")
        target = (root / given).resolve()
        if target != root and root not in target.parents:
            raise Forbidden(f"path {given!r} is outside the server's root")
        try:
            found = find_project_root(target if target.is_dir() else target.parent)
        except MlmomError:
            raise NotFound(
                f"no mlmom.yaml at or above {given or '.'}: create a project with `mlmom init DIR`"
            ) from None
        if found != root and root not in found.parents:
            raise NotFound(f"no mlmom.yaml at or above {given or '.'} inside the server's root")
        return load_project(found)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Every other failure (tornado's own 4xx, a bug of ours) in the same one error body:
        a bug's type and message stay in the server's log, never in the answer."""
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if status_code >= 500 or isinstance(exc, MlmomError):
            body = error_body(exc if exc is not None else Exception())
        else:
            body = {"error": self._reason, "code": f"http_{status_code}"}
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(body))

    async def respond(
        self, work: Callable[[], Any], status: int = 200, *, answer: type[Answer] | None = None
    ) -> None:
        """Run ``work`` off the event loop and write its result as the route's ``answer``
        model (or an :class:`HtmlPage`), or the core's error."""
        try:
            result = await asyncio.to_thread(self._answered, work, answer)
        except MlmomError as exc:
            self.set_status(http_status(exc))
            self.finish(wire.answer(wire.ErrorBody, error_body(exc)))
            return
        self.set_status(status)
        if isinstance(result, HtmlPage):
            self.set_header("Content-Security-Policy", HtmlPage.POLICY)
            self.finish(result.html, set_content_type="text/html; charset=UTF-8")
        else:
            self.set_header("Content-Type", "application/json")
            self.finish(result)

    @staticmethod
    def _answered(work: Callable[[], Any], answer: type[Answer] | None) -> Any:
        result = work()
        if isinstance(result, HtmlPage):
            return result
        if answer is None:
            raise TypeError("a JSON route must name its answer model (server/wire.py)")
        return wire.answer(answer, result)  # an answer the contract lacks is a bug: a 500

    def int_argument(self, name: str, default: int, low: int = 0) -> int:
        """An integer query argument (at least ``low``); a bad one is a 400 naming it."""
        raw = self.get_query_argument(name, str(default))
        try:
            value = int(raw)
        except ValueError:
            value = low - 1
        if value < low:
            raise InvalidRequest(f"?{name}= must be an integer >= {low}, not {raw!r}")
        return value

    @property
    def who(self) -> str:
        """The Jupyter user this request acts for (recorded in the alias history): the
        username, with the display name first where it differs (token logins get a random
        username and a name such as "Anonymous Io")."""
        user = self.current_user
        username = getattr(user, "username", None) or str(user or "unknown")
        name = getattr(user, "name", None)
        return f"{name} ({username})" if name and name != username else username

    @property
    def jobs(self):
        """The server's job runner (one per Jupyter server: see ``setup_handlers``)."""
        return self.settings["mlmom_jobs"]

    def relative(self, project, path: Path | str | None) -> str | None:
        """A path as the lab sees it: relative to the server's root."""
        if path is None:
            return None
        root = Path(self.settings["server_root_dir"]).expanduser().resolve()
        try:
            return Path(path).resolve().relative_to(root).as_posix()
        except ValueError:
            return None


def allowed(action: str):
    """``@web.authenticated`` and ``@authorized`` for ``action`` (read, write or execute), as
    jupyter_server's own handlers are guarded. Its APIHandler already checks the XSRF token of
    a cookie-authenticated POST."""

    def guard(method):
        return web.authenticated(authorized(action=action, resource=AUTH_RESOURCE)(method))

    return guard


read_only = allowed("read")

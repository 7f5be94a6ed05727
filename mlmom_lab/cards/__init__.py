"""Model cards: every registered version described for the people who answer for it, in
Markdown and as a self-contained HTML page, from a Jinja2 template the project can replace
(``governance.card_template``).

    from mlmom_lab import cards
    print(cards.markdown(project, "3"))

The quality gate logs the card with its version in MLflow (``model_card/``) each time it
judges it, so the registry holds the card as it stood; ``mlmom card`` renders it as it stands
now (approvals and production history included).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import InvalidRequest

if TYPE_CHECKING:
    import jinja2

    from ..project import Project

ARTIFACT_PATH = "model_card"
DEFAULT_TEMPLATE = Path(__file__).with_name("model_card.md.j2")
STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#1f2328;background:#fff}table{border-collapse:collapse;margin:.5rem 0}
td,th{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left}code{font-size:90%}
h1,h2{border-bottom:1px solid #d0d7de}@media (prefers-color-scheme:dark){body{color:#e6edf3;
background:#0d1117}td,th,h1,h2{border-color:#30363d}}"""


def markdown(project: Project, ref: str) -> str:
    """The card of version ``ref`` (``3``, ``champion``, ``model@3``) in Markdown."""
    from .. import registry
    from .content import gather

    info = registry.get_version(*registry.parse_ref(ref, project.spec.model), project)
    text: str = _template(project).render(**gather(project, info))
    return text


def html(project: Project, ref: str) -> str:
    """The card as one HTML page with its style inline (no file or network to fetch)."""
    import html as escape

    import mistune

    text = markdown(project, ref)
    title = text.splitlines()[0].lstrip("# ") if text else "Model card"
    body = mistune.create_markdown(plugins=["table"])(text)
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape.escape(title)}</title><style>{STYLE}</style></head>"
        f"<body>{body}</body></html>\n"
    )


def log_card(project: Project, version: str) -> None:
    """Log the card (Markdown and HTML) with the version's MLflow run, as it stands now."""
    from .. import registry
    from ..mlflow_clients import client

    info = registry.get_version(None, version, project)
    if info.run_id is None:
        return  # registered without a run: MLflow has nowhere to keep it
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "model_card.md").write_text(markdown(project, version))
        (Path(tmp) / "model_card.html").write_text(html(project, version))
        client(project).log_artifacts(info.run_id, tmp, ARTIFACT_PATH)


def _template(project: Project) -> jinja2.Template:
    """The project's template (``governance.card_template``) or ours."""
    import jinja2

    own = project.spec.governance.card_template
    path = project.root / own if own else DEFAULT_TEMPLATE
    if not path.is_file():
        raise InvalidRequest(f"governance.card_template: {own} does not exist in the project")
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(path.parent),
        undefined=jinja2.ChainableUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML: mistune escapes what it renders
    )
    try:
        return environment.get_template(path.name)
    except jinja2.TemplateSyntaxError as exc:
        raise InvalidRequest(
            f"governance.card_template: {own or path.name} line {exc.lineno}: {exc.message}"
        ) from None

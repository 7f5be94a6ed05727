"""The demo's explanation chapter: what drives the champion, one of its answers explained by
SHAP and LIME from the prediction log, and whether the shifted customers changed what the
first model listened to. It ends with the dashboards to open."""

from __future__ import annotations

from . import Say


def explain_chapter(project, say: Say) -> dict:
    """Print the chapter; return what it showed."""
    from ..explain import explain_request, explanation_drift, global_importance
    from ..explain.local import recent_requests
    from ..monitoring.windows import load_window
    from ..registry import get_version

    say("7. Explain it: SHAP and LIME, stored with every version and run on the prediction log.")
    champion = get_version(None, "champion", project)
    importance = global_importance(project, champion.version)
    top = ", ".join(f"{f.name} {f.mean_abs:.3f}" for f in importance.ranked()[:3])
    say(f"   champion v{champion.version} listens most to (mean |SHAP|): {top}")
    latest = recent_requests(project, champion.name, champion.version, limit=1)
    explained = None
    if latest:
        explained = explain_request(project, latest[0]["request_id"])
        shap = explained.explanations["shap"]
        pushes = ", ".join(f"{name} {value:+.3f}" for name, value in shap.ranked()[:3])
        say(
            f"   request {latest[0]['request_id']}: {shap.output_name} {shap.output:.3f} = base "
            f"{shap.base:.3f} + SHAP ({pushes}, ...); LIME agrees on "
            f"{_agreement(explained)} of its top 3"
        )
    first = load_window(project, version="1", last=1000)
    shifted = explanation_drift(project, first)
    moved = (
        ", ".join(
            f"{f.name} {f.reference_share:.0%} -> {f.current_share:.0%}"
            for f in shifted.features
            if f.shifted
        )
        or "nothing moved"
    )
    say(f"   v1 on the shifted customers, share of mean |SHAP| (training -> live): {moved}")
    say(f"   dashboards: mlmom dashboards {project.root}   (or from the lab's Monitoring panel)")
    say(f"   on the terminal: mlmom explain -C {project.root}, mlmom explain --request-id ID")
    return {
        "top": [f.name for f in importance.ranked()[:3]],
        "shifted": shifted.shifted,
        "request": explained.request.request_id if explained else None,
    }


def _agreement(explained) -> int:
    shap, lime = explained.explanations["shap"], explained.explanations["lime"]
    return len({n for n, _ in shap.ranked()[:3]} & {n for n, _ in lime.ranked()[:3]})

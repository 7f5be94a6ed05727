"""The lab's main-area views in a real JupyterLab and a real Chromium: the pipeline as a graph
(states after a parameter change, a run's live progress, a node opening its executed
notebook, a run with other parameters) and versions side by side (a chart, the differences
marked), readable in both themes and usable from the keyboard. Screenshots in
test-artifacts/ui/."""

import re

import pytest
import yaml
from playwright.sync_api import expect

from mlmom_lab.project import load_project
from mlmom_lab.serving import local_server

from ..helpers import own_copy
from .conftest import shot, use_theme
from .test_panels import SIDEBAR, contrast, open_project, show

GRAPH = "#mlmom-view-pipeline-graph"


@pytest.fixture(scope="module")
def graph_project(example_run, lab):
    """The example (run once, one version) in the lab's root as ``graph/``, its evaluate
    threshold then changed in mlmom.yaml as a user edits it: evaluate and register are stale."""
    project, _ = example_run
    copy = own_copy(project, lab["root"] / "graph")
    spec = yaml.safe_load(copy.spec_path.read_text())
    spec["stages"]["evaluate"]["params"]["threshold"] = 0.4
    copy.spec_path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return copy


def open_graph(page):
    open_project(page, "graph")
    page.click(f"{SIDEBAR} .mlmom-panel-pipeline button:has-text('Graph')")
    page.locator(f"{GRAPH} .mlmom-node[data-stage=register]").wait_for()
    return page.locator(GRAPH)


def node(view, stage):
    return view.locator(f".mlmom-node[data-stage={stage}]")


def test_the_graph_shows_a_changed_parameter_runs_live_and_its_versions_compare(
    page, graph_project
):
    view = open_graph(page)
    names = view.locator(".mlmom-node").evaluate_all("els => els.map(e => e.dataset.stage)")
    assert sorted(names) == ["evaluate", "prepare", "register", "train"]
    assert view.locator("svg.mlmom-graph-edges path[data-edge]").count() >= 3
    states = {s: node(view, s).get_attribute("data-status") for s in names}
    assert states == {
        "prepare": "fresh",
        "train": "fresh",
        "evaluate": "stale",
        "register": "stale",
    }
    # the reason in a few words on the node, in full on hover and in the stage's details
    assert "parameter changed" in node(view, "evaluate").inner_text()
    assert "upstream stale" in node(view, "register").inner_text()
    assert "0.5 -> 0.4" in node(view, "evaluate").get_attribute("title")
    # left to right: a stage stands right of the stages it needs
    x = {s: node(view, s).bounding_box()["x"] for s in names}
    assert x["prepare"] < x["train"] < x["evaluate"] < x["register"]
    shot(page, "6-graph-stale")
    reach_the_details_by_keyboard(page, view)

    node(view, "evaluate").click()
    details = view.locator(".mlmom-stage-details")
    assert_readable(view, "graph", "light")
    expect(details.locator(".mlmom-reasons")).to_contain_text("parameter threshold changed")
    threshold = details.locator("#mlmom-param-evaluate-threshold")
    assert threshold.input_value() == "0.4" and threshold.get_attribute("type") == "number"
    threshold.fill("0.45")
    expect(details.locator(".mlmom-param.mlmom-changed")).to_have_count(1)
    details.locator("button:has-text('Run from here')").click()

    # live: a running node counts its cells and its time as they go
    running = view.locator(".mlmom-node[data-status=running] .mlmom-node-why")
    expect(running.filter(has_text=re.compile(r"cell \d+ of \d+ · \d+ s"))).to_have_count(1)
    shot(page, "6b-graph-running")
    expect(view.locator(".mlmom-run-state[data-job=done]")).to_have_count(1, timeout=240_000)
    # the spec still says 0.4: the run with 0.45 leaves evaluate stale, saying so
    expect(node(view, "evaluate")).to_have_attribute("data-status", "stale")
    assert "0.45 -> 0.4" in node(view, "evaluate").get_attribute("title")

    details.locator("button:has-text('Last executed notebook')").click()
    executed = page.frame_locator(".mlmom-executed iframe")
    executed.locator(".jp-OutputArea").first.wait_for()
    assert "threshold = 0.45" in executed.locator("body").inner_text()
    shot(page, "6c-graph-executed")

    compare_the_two_versions(page)


def compare_the_two_versions(page):
    """From the Registry panel: v1 (the spec's 0.5) and v2 (run with 0.45), side by side."""
    page.click(f"{SIDEBAR} button[data-panel=registry]")
    for version in ("1", "2"):
        page.locator(f"{SIDEBAR} li[data-version='{version}'] input[type=checkbox]").check()
    page.click(f"{SIDEBAR} .mlmom-panel-registry button:has-text('Compare')")
    view = page.locator("#mlmom-view-compare-graph-1-2")  # the project's path in its id
    table = view.locator("table.mlmom-compare")
    table.wait_for()
    assert table.locator("thead th").all_inner_texts()[1:] == ["v1", "v2"]
    changed = table.locator("tr[data-key='evaluate.threshold']")
    assert "mlmom-differs" in changed.get_attribute("class")
    assert changed.locator("td").all_inner_texts() == ["0.5", "0.45"]
    assert changed.locator("td.mlmom-differs-cell").count() == 1  # v2's, against v1's
    same = table.locator("tr[data-key='train.seed']")
    assert "mlmom-differs" not in (same.get_attribute("class") or "")
    chart = view.locator(".mlmom-compare-chart")
    expect(chart.locator("canvas")).to_have_count(1)  # each chart is made in a task of its own
    assert chart.locator(".mlmom-chart-plot").get_attribute("data-points") == "2"
    assert "roc_auc" in chart.inner_text()  # the legend names the metrics
    facts = view.locator(".mlmom-version-facts[data-version='2']")
    assert "top features" in facts.inner_text()
    shot(page, "7-compare")


def reach_the_details_by_keyboard(page, view):
    """A node picked with Enter; Tab goes on past the other nodes into its details."""
    first = node(view, "prepare")
    first.focus()
    page.keyboard.press("Enter")
    expect(first).to_have_attribute("aria-pressed", "true")
    inside = "document.activeElement.closest('.mlmom-stage-details') !== null"
    for _ in range(4):  # past the other three nodes, into the details' first control
        page.keyboard.press("Tab")
        if page.evaluate(inside):
            break
    assert page.evaluate("document.activeElement.innerText") == "Open notebook"


def assert_readable(view, which: str, theme: str) -> None:
    """The view's text keeps a 4.5 contrast, and every control is reachable and named."""
    for text in READABLE[which]:
        ratio, fg, bg = text_contrast(view, text)
        assert ratio >= 4.5, (theme, which, text, fg, bg)
    assert unnamed_controls(view) == [], which


def unnamed_controls(view) -> list[str]:
    """The view's controls that the keyboard cannot reach or a screen reader cannot name."""
    return view.evaluate(
        """(root) => [...root.querySelectorAll('button, input, select, a, summary')]
            .filter(el => el.tabIndex < 0
                || !((el.getAttribute('aria-label') || '').trim()
                     || (el.labels && el.labels.length)
                     || el.innerText.trim()))
            .map(el => el.outerHTML.slice(0, 80))"""
    )


def text_contrast(view, selector) -> tuple[float, str, str]:
    """The contrast of the first ``selector``'s text against the background it is drawn on."""
    fg, bg = view.locator(selector).first.evaluate(
        """(el) => {
            let box = el;
            while (box && getComputedStyle(box).backgroundColor === 'rgba(0, 0, 0, 0)') {
                box = box.parentElement;
            }
            return [getComputedStyle(el).color, getComputedStyle(box).backgroundColor];
        }"""
    )
    return contrast(fg, bg), fg, bg


# the text each view must keep readable, by view
READABLE = {
    "graph": (".mlmom-node .mlmom-name", ".mlmom-node-why", ".mlmom-reasons li"),
    "monitoring": (".mlmom-loop li[aria-current=step]", ".mlmom-sparklines th", "figcaption"),
    "deployment": (".mlmom-split-bar [data-role=champion]", ".mlmom-canary-weight label"),
}


def test_the_views_read_well_in_the_dark_theme_and_a_narrow_main_area(
    page, lab, graph_project, watched_project
):
    """The light theme is checked where each view is tested; here the dark one, then the lab
    800 pixels wide (a main area of about 500 beside the sidebar): nothing pushes a view wider
    than its tab (the graph scrolls inside its own box)."""
    use_theme(lab, "JupyterLab Dark")
    try:
        page.reload()
        page.wait_for_selector(f"body[data-jp-theme-light=false] {SIDEBAR} .mlmom-project")
        graph = open_graph(page)
        node(graph, "evaluate").click()
        opened = {  # each in turn: the graph follows the sidebar's project, which moves
            "graph": lambda: graph,
            "monitoring": lambda: open_view(page, "monitoring", "mlmom-view-monitoring"),
            "deployment": lambda: open_view(page, "deployments", "mlmom-view-deployment"),
        }
        views = {}
        for which, open_it in opened.items():
            views[which] = open_it()
            assert_readable(views[which], which, "dark")
            shot(page, f"8-{which}-dark")
        page.set_viewport_size({"width": 800, "height": 900})
        for which, view in views.items():
            page.click(f".lm-DockPanel-tabBar .lm-TabBar-tab:has-text('{TAB_TITLES[which]}')")
            wider = view.locator(".mlmom-main-view").evaluate(
                "el => el.scrollWidth - el.clientWidth"
            )
            assert wider <= 1, (which, wider)
        shot(page, "11-narrow-dark")
    finally:
        use_theme(lab, "JupyterLab Light")


TAB_TITLES = {
    "graph": "Pipeline graph",
    "monitoring": "Monitoring over time",
    "deployment": "Deployment",
}


@pytest.fixture(scope="module")
def watched_project(example_run, lab):
    """The example in the lab's root as ``watch/``, through the demo's monitoring chapter: a
    real server took drifting traffic, an alert fired, the loop retrained and judged a canary."""
    from mlmom_lab.demo.monitoring import monitor_chapter

    project, _ = example_run
    copy = own_copy(project, lab["root"] / "watch")
    monitored = monitor_chapter(copy, lambda *_: None)
    assert monitored["loop"]["history"], monitored
    return load_project(copy.root)


def open_view(page, panel, view_id):
    open_project(page, "watch")
    show(page, panel)
    page.click(f"{SIDEBAR} .mlmom-panel-{panel} button:has-text('View')")
    view = page.locator(f"#{view_id}")
    view.locator(".mlmom-view-header h2").wait_for()
    return view


def test_monitoring_over_time_shows_the_demos_alert_and_its_retraining(page, watched_project):
    view = open_view(page, "monitoring", "mlmom-view-monitoring")
    share = view.locator(".mlmom-drift-share")
    expect(share.locator("canvas")).to_have_count(1)
    assert int(share.locator(".mlmom-chart-plot").get_attribute("data-points")) >= 3
    assert "charges-drift" in share.get_attribute("aria-label")  # the alert on the timeline
    expect(view.locator(".mlmom-alert-list li[data-rule=charges-drift]")).not_to_have_count(0)
    expect(view.locator(".mlmom-performance canvas")).to_have_count(1)
    charges = view.locator(".mlmom-sparklines tr[data-feature=monthly_charges]")
    expect(charges.locator("canvas")).to_have_count(1)
    assert "drift" in charges.inner_text()
    # the loop: retrained, compared, a canary, then promoted or rolled back on live labels
    reached = view.locator(".mlmom-loop li[aria-current=step]").get_attribute("data-phase")
    assert reached in ("promoted", "rolled back")
    phases = view.locator(".mlmom-loop-steps li").evaluate_all(
        "els => els.map(e => e.dataset.phase)"
    )
    assert "canary" in phases and phases[0] == reached  # newest first
    assert_readable(view, "monitoring", "light")
    shot(page, "9-monitoring-over-time")

    view.locator("button:has-text('Show the latest logged requests')").click()
    first = view.locator(".mlmom-requests tr").first
    first.wait_for()
    request_id = first.get_attribute("data-request")
    first.locator("button:has-text('Explain')").click()
    explained = view.locator(f".mlmom-explanation[data-request='{request_id}']")
    expect(explained.locator("canvas")).to_have_count(1)
    assert "shap" in explained.inner_text()
    shot(page, "9b-explain-request")


def test_the_deployment_view_draws_live_traffic_and_sets_the_canary(page, watched_project):
    from mlmom_lab.demo.monitoring import customers, stream

    view = open_view(page, "deployments", "mlmom-view-deployment")
    view.locator("button:has-text('Start server')").click()
    expect(view.locator("h3")).to_contain_text("Live, from the server")
    try:
        url = local_server.status(watched_project)["url"]
        rate = view.locator(".mlmom-live-rate .mlmom-chart-plot")
        stream(int(url.rsplit(":", 1)[1]), customers(watched_project, 400, 11, 0.0), "ui")
        expect(rate).to_have_attribute("data-max", re.compile(r"^[1-9]|^0\.0*[1-9]"))
        expect(view.locator(".mlmom-live-p99 canvas")).to_have_count(1)
        champion = view.locator(".mlmom-split-bar [data-role=champion]")
        assert "100%" in champion.inner_text()
        view.locator("input[type=range]").fill("30")
        view.locator("button:has-text('Start canary')").click()
        expect(view.locator(".mlmom-split-bar [data-role=canary]")).to_contain_text("30%")
        expect(champion).to_contain_text("70%")
        assert_readable(view, "deployment", "light")
        shot(page, "10-deployment")
    finally:
        local_server.stop(watched_project)

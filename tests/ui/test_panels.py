"""The sidebar in a real JupyterLab and a real Chromium: each panel shows the project's real
data, and the actions a user takes there (run a stage, promote, start the server, canary,
check drift) happen and show. Screenshots of each panel are kept in test-artifacts/ui/."""

import json
import re

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from mlmom_lab.demo.monitoring import customers, stream
from mlmom_lab.project import load_project
from mlmom_lab.serving import deployment, local_server

from .conftest import shot, use_theme

SIDEBAR = "#mlmom-lab-sidebar"


def open_project(page, path="churn"):
    page.fill(f"{SIDEBAR} .mlmom-picker input", path)
    page.click(f"{SIDEBAR} .mlmom-picker button[type=submit]")
    page.wait_for_selector(f"{SIDEBAR} .mlmom-tabs", timeout=90_000)


def show(page, panel):
    page.click(f"{SIDEBAR} button[data-panel={panel}]")
    page.wait_for_selector(f"{SIDEBAR} .mlmom-panel-{panel} h3", timeout=90_000)


def test_a_folder_without_a_project_says_how_to_make_one(page):
    empty = page.locator(f"{SIDEBAR} .mlmom-empty")
    empty.wait_for()
    assert "No mlmom.yaml here" in empty.inner_text() and "mlmom init" in empty.inner_text()
    shot(page, "0-empty-state")


def test_the_open_notebooks_project_shows_and_a_stage_runs_from_the_panel(page, lab):
    page.goto(f"{lab['url']}/lab/tree/churn/prepare.ipynb?token={lab['token']}")
    page.wait_for_selector(f"{SIDEBAR} .mlmom-tabs", timeout=90_000)
    assert page.inner_text(f"{SIDEBAR} .mlmom-project") == "churn-demo"
    stages = page.locator(f"{SIDEBAR} li.mlmom-stage")
    stages.last.wait_for()  # the tabs show with the project; the stages once the pipeline loads
    page.wait_for_selector(f"{SIDEBAR} li.mlmom-stage[data-stage=register]")
    assert stages.evaluate_all("els => els.map(e => e.dataset.stage)") == [
        "prepare",
        "train",
        "evaluate",
        "register",
    ]
    page.click(f"{SIDEBAR} li[data-stage=register] >> text=Run from here")
    page.wait_for_selector(f"{SIDEBAR} .mlmom-job[data-job=done]", timeout=180_000)
    register = page.locator(f"{SIDEBAR} li[data-stage=register]")
    # the job shows as done once the panel has the statuses its run left behind
    assert register.get_attribute("data-status") == "fresh", register.inner_text()
    shot(page, "1-pipeline")
    runs = register.locator("select.mlmom-runs option:not([value=''])")
    assert runs.count() >= 2  # the fixture's run and this one
    first_run = runs.last.get_attribute("value")
    register.locator("select.mlmom-runs").select_option(first_run)  # any run, not only the last
    tab = page.locator(f".lm-DockPanel-tabBar .lm-TabBar-tab:has-text('register · {first_run}')")
    tab.wait_for(timeout=90_000)
    executed = page.frame_locator(".mlmom-executed iframe")
    executed.locator(".jp-OutputArea").first.wait_for(timeout=90_000)  # its outputs, read-only
    assert "register_model" in executed.locator("body").inner_text()
    shot(page, "1b-executed-notebook")


def search_palette(page, text: str) -> None:
    """Type ``text`` into the command palette, opened with Ctrl+Shift+C. The key toggles the
    palette, and a busy lab may show it many seconds late (seen under load in CI): press only
    while it is hidden, wait long for it, and type again should it close under the typing."""
    palette = page.locator(".lm-CommandPalette-input")
    page.locator("#jp-main-dock-panel").click()  # focus off the sidebar's project box
    for _ in range(3):
        if not palette.is_visible():
            page.keyboard.press("Control+Shift+C")
        try:
            palette.wait_for(state="visible", timeout=60_000)
            palette.fill(text, timeout=10_000)
            return
        except PlaywrightTimeout:
            continue
    palette.fill(text, timeout=1)  # fails, saying what was waited for


def palette_labels(page, text: str) -> list[str]:
    """The labels the palette lists for ``text``; typed again if the palette closed before
    they could be read (a busy lab can move the focus, and the palette closes on blur)."""
    items = page.locator(".lm-CommandPalette-item:visible .lm-CommandPalette-itemLabel")
    for _ in range(3):
        search_palette(page, text)
        try:
            items.first.wait_for(timeout=30_000)
        except PlaywrightTimeout:
            continue
        labels = items.all_inner_texts()
        if labels:  # none: it closed between the wait and the reading
            return labels
    items.first.wait_for(timeout=1)  # fails, saying what was waited for
    return []


def test_the_palette_has_the_main_actions(page):
    open_project(page)
    labels = palette_labels(page, "mlmom")
    for action in (
        "Run the pipeline (mlmom)",
        "Start the model server (mlmom)",
        "Stop the model server (mlmom)",
        "Run a monitoring check (mlmom)",
        "Open the mlmom registry panel",
        "Refresh the mlmom panels",
    ):
        assert action in labels, labels
    # run one by its whole label: Enter takes the palette's first match (a click can land on
    # another item while the list is still filtering); again, should the palette have closed
    chosen = page.locator(f"{SIDEBAR} button[data-panel='monitoring'][aria-selected='true']")
    active = page.locator(".lm-CommandPalette-item.lm-mod-active:has-text('monitoring panel')")
    for _ in range(3):
        search_palette(page, "Open the mlmom monitoring panel")
        try:
            active.wait_for(timeout=30_000)
            page.keyboard.press("Enter")
            try:  # Enter runs the item and hides the palette
                page.locator(".lm-CommandPalette-input").wait_for(state="hidden", timeout=5_000)
            except PlaywrightTimeout:  # the key reached nothing (a busy lab moved the focus)
                active.click(timeout=10_000)
            chosen.wait_for(timeout=60_000)
            break
        except PlaywrightTimeout:
            continue
    else:
        chosen.wait_for(timeout=1)  # fails, saying what was waited for
    page.locator(f"{SIDEBAR} .mlmom-panel-monitoring h3").wait_for(timeout=60_000)


def test_promote_a_version_and_see_the_alias_move(page):
    open_project(page)
    show(page, "registry")
    versions = page.locator(f"{SIDEBAR} li.mlmom-version")
    versions.first.wait_for()
    numbers = versions.evaluate_all("els => els.map(e => e.dataset.version)")
    assert numbers[-1] == "1" and len(numbers) >= 2
    champion = page.locator(f"{SIDEBAR} li.mlmom-version:has(.mlmom-badge-good)")
    before = champion.get_attribute("data-version")
    target = next(n for n in numbers if n != before)
    page.click(f"{SIDEBAR} li[data-version='{target}'] >> text=Promote")
    page.click(".jp-Dialog button.jp-mod-warn")  # the confirmation
    page.wait_for_selector(
        f"{SIDEBAR} li[data-version='{target}'] .mlmom-badge-good", timeout=90_000
    )
    assert champion.get_attribute("data-version") == target
    moved = page.locator(f"{SIDEBAR} .mlmom-history li[data-alias=champion]").first
    page.wait_for_function(  # the history is fetched again once the registry has changed
        """([s, text]) => document.querySelector(s)?.innerText.includes(text)""",
        arg=[f"{SIDEBAR} .mlmom-history li[data-alias=champion]", f"{before} → {target}"],
    )
    assert re.search(rf"champion promote: {before} → {target} by Anonymous", moved.inner_text())

    page.click(f"{SIDEBAR} li[data-version='{target}'] .mlmom-name")  # details and lineage
    details = page.locator(f"{SIDEBAR} li[data-version='{target}'] .mlmom-details")
    expect(details).to_contain_text("pipeline_run")  # waits while a busy lab draws them
    expect(details).to_contain_text("accuracy")
    for number in (before, target):
        page.check(f"{SIDEBAR} li[data-version='{number}'] input[type=checkbox]")
    page.click(f"{SIDEBAR} li[data-version='{target}'] .mlmom-name")  # details closed again
    shot(page, "2-registry")
    page.click(f"{SIDEBAR} button:has-text('Compare')")  # in the main area
    compare = page.locator(".mlmom-compare-view table.mlmom-compare")
    compare.wait_for()
    heads = compare.locator("thead th").all_inner_texts()
    assert heads[1:] == [f"v{min(before, target, key=int)}", f"v{max(before, target, key=int)}"]
    assert compare.locator("tr[data-key=accuracy]").count() == 1


def test_start_the_server_canary_traffic_and_drift_from_the_panels(page, lab):
    open_project(page)
    show(page, "deployments")
    page.click(f"{SIDEBAR} >> text=Start server")
    page.wait_for_selector(f"{SIDEBAR} .mlmom-server[data-running=true]", timeout=120_000)
    project = load_project(lab["root"] / "churn")
    try:
        champion = page.inner_text(f"{SIDEBAR} dd[data-role=champion]").lstrip("v")
        other = page.locator(f"{SIDEBAR} .mlmom-release option").evaluate_all(
            "els => els.map(e => e.value)"
        )
        canary = next(v for v in other if v != champion)
        page.select_option(f"{SIDEBAR} .mlmom-release select", canary)
        page.fill(f"{SIDEBAR} .mlmom-release input", "0.25")
        page.click(f"{SIDEBAR} .mlmom-release >> text=Canary")
        # the answer comes once the server's worker serves the canary, and the lab says so
        page.wait_for_selector(
            f".jp-toast-message:has-text('canary v{canary} at 25% live on 1 of 1 worker')",
            timeout=120_000,
        )
        page.wait_for_selector(f"{SIDEBAR} dd[data-role=canary]:has-text('on 25%')")
        seq = deployment.current(project).seq
        page.wait_for_selector(
            f"{SIDEBAR} dd[data-role=served]:has-text('change {seq} on all 1 worker')"
        )
        port = local_server.status(project)["port"]
        stream(port, customers(project, 300, seed=9, shift=1.0), "ui-test")
        page.click(f"{SIDEBAR} .mlmom-picker button[title=Refresh]")
        traffic = page.locator(f"{SIDEBAR} .mlmom-traffic")
        expect(traffic).to_contain_text(f"v{canary}")  # the log is written within a second,
        expect(traffic).to_contain_text(f"v{champion}")  # and the panel polls every 5 s
        shot(page, "3-deployments")

        show(page, "monitoring")
        page.click(f"{SIDEBAR} >> text=Run check")
        page.wait_for_selector(f"{SIDEBAR} .mlmom-drift tr[data-feature]", timeout=120_000)
        features = page.locator(f"{SIDEBAR} .mlmom-drift tr[data-feature]")
        drifted = features.evaluate_all(
            "els => els.filter(e => e.dataset.drifted === 'true').map(e => e.dataset.feature)"
        )
        assert "monthly_charges" in drifted  # the stream's shift raises prices
        assert page.locator(f"{SIDEBAR} .mlmom-performance tbody tr").count() == 1
        shot(page, "4-monitoring")
        with page.expect_popup(timeout=180_000) as opened:
            page.click(f"{SIDEBAR} >> text=Drift report")
        report = opened.value
        report.wait_for_load_state()
        assert "/files/churn/.mlmom/reports/drift-" in report.url
        report.close()
        shares = page.locator(f"{SIDEBAR} .mlmom-drift td.mlmom-shap").all_inner_texts()
        assert len(shares) == features.count()
        assert all("→" in share for share in shares)  # the SHAP share beside each verdict
        for button, content in (
            ("Drift dashboard", ".mlmom-drift-table"),
            ("Explanations", ".mlmom-importance img"),
        ):
            with page.expect_popup(timeout=60_000) as opened:
                page.click(f"{SIDEBAR} >> text={button}")
            dashboard = opened.value
            dashboard.wait_for_selector(content, timeout=120_000)  # Voilà ran it in the lab
            assert "/voila/render/churn/dashboards/" in dashboard.url
            dashboard.close()
    finally:
        local_server.stop(project)


def test_a_post_without_the_xsrf_token_is_refused(page):
    post = """async (xsrf) => {
        const headers = xsrf ? {'X-XSRFToken': document.cookie.match(/_xsrf=([^;]+)/)[1]} : {};
        const r = await fetch('/mlmom/api/registry/promote?path=churn',
                              {method: 'POST', body: '{}', headers});
        return [r.status, await r.text()];
    }"""
    status, _ = page.evaluate(post, False)
    assert status == 403  # cookie-authenticated, no XSRF token
    status, body = page.evaluate(post, True)
    assert status == 400 and "version" in json.loads(body)["error"]  # past the guard


def test_the_dark_theme_keeps_the_panels_readable(page, lab):
    use_theme(lab, "JupyterLab Dark")
    try:
        page.reload()
        page.wait_for_selector(
            f"body[data-jp-theme-light=false] {SIDEBAR} .mlmom-project", timeout=90_000
        )
        open_project(page)
        show(page, "registry")
        page.locator(f"{SIDEBAR} li.mlmom-version").first.wait_for()
        fg, bg = page.evaluate(
            """(s) => {
            const side = document.querySelector(s);
            const name = side.querySelector('.mlmom-name');
            return [getComputedStyle(name).color, getComputedStyle(side).backgroundColor];
        }""",
            SIDEBAR,
        )
        assert contrast(fg, bg) >= 4.5, (fg, bg)
        shot(page, "5-registry-dark")
    finally:
        use_theme(lab, "JupyterLab Light")


def contrast(fg: str, bg: str) -> float:
    """WCAG contrast ratio of a CSS text colour over an opaque background colour: rgb(),
    rgba() or color(srgb ...) (what color-mix() computes to); a translucent text colour is
    blended over the background first, as the browser draws it."""

    def channels(css):
        if css.startswith("color(srgb"):
            values = [float(c) for c in re.findall(r"[\d.]+", css)]
            rgb, alpha = values[:3], (values[3] if len(values) > 3 else 1.0)
        else:
            values = [float(c) for c in re.findall(r"[\d.]+", css)]
            rgb, alpha = [c / 255 for c in values[:3]], (values[3] if len(values) > 3 else 1.0)
        return rgb, alpha

    def luminance(rgb):
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    (text, alpha), (ground, _) = channels(fg), channels(bg)
    drawn = [alpha * t + (1 - alpha) * g for t, g in zip(text, ground, strict=True)]
    high, low = sorted((luminance(drawn), luminance(ground)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_voila_loads_the_extension_without_an_activation_error(browser, lab):
    """Voilà loads every installed lab extension, ours included; it has no lab shell."""
    page = browser.new_page()
    messages, loaded = [], []
    page.on("console", lambda m: messages.append(f"{m.type}: {m.text}"))
    page.on(
        "request", lambda r: loaded.append(r.url) if "labextensions/mlmom-lab/" in r.url else None
    )
    page.goto(f"{lab['url']}/voila/render/elsewhere/hello.ipynb?token={lab['token']}")
    page.wait_for_selector("text=hello from voila", timeout=90_000)
    page.wait_for_load_state("networkidle")
    page.close()
    assert any("remoteEntry" in url for url in loaded), loaded  # ours was loaded
    ours = [m for m in messages if "mlmom" in m.lower() and not m.startswith("log")]
    assert not ours, ours

"""A real browser for the tests: Debian's chromium driven by Selenium through Debian's
chromedriver (nothing is downloaded), with axe-core from npm injected into each page."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ROOT = Path(__file__).resolve().parents[1]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chrome(downloads: Path | None = None, width: int = 1000, height: int = 900,
           javascript: bool = True) -> webdriver.Chrome:
    """A headless chromium; javascript=False blocks the pages' own scripts (the test's
    WebDriver calls still run)."""
    os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never fetch a driver or browser
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync", f"--window-size={width},{height}"):
        options.add_argument(arg)
    prefs: dict[str, object] = {}
    if downloads:
        prefs.update({"download.default_directory": str(downloads),
                      "download.prompt_for_download": False})
    if not javascript:
        prefs["profile.managed_default_content_settings.javascript"] = 2
    options.add_experimental_option("prefs", prefs)
    service = Service(shutil.which("chromedriver") or "/usr/bin/chromedriver")
    return webdriver.Chrome(options=options, service=service)


def axe_violations(driver: webdriver.Chrome) -> list[dict]:
    """axe-core's WCAG 2.0-2.2 A and AA violations on the current page."""
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        f"axe.run(document, {{runOnly: {{type: 'tag', values: {json.dumps(AXE_TAGS)}}}}})"
        ".then(r => done(r.violations.map(v => ({id: v.id, help: v.help,"
        " nodes: v.nodes.map(n => n.target.join(' ') + ': ' + n.failureSummary)}))))"
        ".catch(e => done([{id: 'axe-error', help: String(e), nodes: []}]));")
    return result


def described(violations: list[dict]) -> str:
    return "\n".join(f"{v['id']}: {v['help']}\n  " + "\n  ".join(v["nodes"][:5]) for v in violations)

"""What the browser tests share: the CSP violation listener and the screenshots."""

from pathlib import Path

SCREENSHOTS = Path(__file__).resolve().parent.parent.parent / "docs" / "screenshots"

# Collects every `securitypolicyviolation` event of a page (Playwright's init scripts are not
# subject to the page's policy).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""


def shot(page, name: str) -> None:
    """A full-page screenshot in docs/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / name), full_page=True)

"""What the browser tests share: the CSP violation listener (their screenshots: conftest.shot)."""

# Collects every `securitypolicyviolation` event of a page (Playwright's init scripts are not
# subject to the page's policy).
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI} ${event.sourceFile}:${event.lineNumber}`);
});
"""

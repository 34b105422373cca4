// Injected by `blog serve` into every page it serves (never into `blog build` output).
// Reloads the page after a rebuild, swaps stylesheets when only CSS changed, and shows build
// errors over the page until they are fixed.
(() => {
  const loadedVersion = Number(document.currentScript.dataset.version);
  const events = new EventSource("/__blog/events");
  const overlayId = "blog-error-overlay";

  function hideOverlay() {
    document.getElementById(overlayId)?.remove();
  }

  function showOverlay(lines) {
    hideOverlay();
    const overlay = document.createElement("div");
    overlay.id = overlayId;
    overlay.setAttribute("role", "alert");
    overlay.style.cssText =
      "position:fixed;inset:0;z-index:2147483647;overflow:auto;padding:2rem;" +
      "background:rgba(20,20,20,.92);color:#ffd7d7;font:14px/1.5 ui-monospace,monospace";
    const title = document.createElement("strong");
    title.textContent = "Build failed: the page shows the last good build";
    const list = document.createElement("pre");
    list.style.whiteSpace = "pre-wrap";
    list.textContent = lines.join("\n"); // text, never HTML
    overlay.append(title, list);
    document.body.append(overlay);
  }

  function swapStylesheets() {
    for (const link of document.querySelectorAll('link[rel="stylesheet"]')) {
      const url = new URL(link.href);
      url.searchParams.set("blog-reload", String(Date.now()));
      link.href = url.href;
    }
  }

  events.addEventListener("hello", (event) => {
    // Connected (or reconnected): reload if a build happened since this page was loaded.
    if (Number(event.data) !== loadedVersion) location.reload();
  });
  events.addEventListener("reload", (event) => {
    if (event.data === "css" && !document.getElementById(overlayId)) swapStylesheets();
    else location.reload();
  });
  events.addEventListener("build-error", (event) => showOverlay(JSON.parse(event.data)));
})();

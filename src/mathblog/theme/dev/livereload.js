// Injected by `blog serve` into every page it serves (never into `blog build` output).
// Updates the page after a rebuild, swaps stylesheets when only CSS changed, and shows build
// errors over the page until they are fixed.
(() => {
  let loadedVersion = Number(document.currentScript.dataset.version);
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

  // When the rebuilt page loads the same stylesheets and runs no script of its own, its new body,
  // title, meta tags and JSON-LD are put in place without a reload: quicker, and the scroll
  // position stays.
  function stylesheets(root) {
    return Array.from(
      root.querySelectorAll('link[rel~="stylesheet"], style'),
      (element) => element.outerHTML,
    ).join("\n");
  }

  // data-theme is the reader's light/dark choice, set in the browser, not by the build.
  function attributes(element) {
    return Array.from(element.attributes)
      .filter((a) => a.name !== "data-theme")
      .map((a) => `${a.name}=${a.value}`)
      .join(" ");
  }

  // The theme's scripts (data-live) set themselves up again on "blog:swapped"; a page whose
  // set of them changed (its first code block, say) is reloaded to load the new one.
  function liveScripts(root) {
    return Array.from(root.querySelectorAll("script[data-live]"), (s) => s.outerHTML).join("\n");
  }

  // JSON-LD is data about the page, not a script that runs: it is swapped like a meta tag.
  const JSON_LD = 'script[type="application/ld+json"]';

  function isMetadata(element) {
    return element.matches(
      `title, meta:not([charset]), link:not([rel~="stylesheet"]), ${JSON_LD}`,
    );
  }

  // Two nodes alike but for what they hold: the same element with the same attributes.
  function sameShell(a, b) {
    return (
      a.nodeType === Node.ELEMENT_NODE &&
      b.nodeType === Node.ELEMENT_NODE &&
      a.cloneNode(false).isEqualNode(b.cloneNode(false))
    );
  }

  // Put into `live` (a place in this document) what changed from `old` to `next` (the same
  // place in the page as last served, and as served now), keeping the children that stayed
  // alike, so the browser lays out again only what the edit changed (a long page of formulas
  // took a tenth of a second to lay out whole). With as many children as before, each that
  // changed is patched in its place (an edit changes a paragraph, and the word count above
  // it); else the children alike at the start and at the end are kept, the rest replaced.
  // False if `live` no longer has the children `old` has (the theme's scripts changed them):
  // then it must be replaced whole.
  function patch(live, old, next) {
    const before = Array.from(old.childNodes);
    const after = Array.from(next.childNodes);
    const here = Array.from(live.childNodes);
    if (here.length !== before.length) return false;
    if (before.length === after.length) {
      before.forEach((node, i) => {
        if (node.isEqualNode(after[i])) return;
        if (
          !sameShell(node, after[i]) ||
          !sameShell(here[i], node) ||
          !patch(here[i], node, after[i])
        ) {
          here[i].replaceWith(document.adoptNode(after[i]));
        }
      });
      return true;
    }
    const shorter = Math.min(before.length, after.length);
    let start = 0;
    while (start < shorter && before[start].isEqualNode(after[start])) start++;
    let end = before.length;
    let endNext = after.length;
    while (end > start && endNext > start && before[end - 1].isEqualNode(after[endNext - 1])) {
      end--;
      endNext--;
    }
    const anchor = here[end] || null;
    for (const gone of here.slice(start, end)) gone.remove();
    for (const node of after.slice(start, endNext)) {
      live.insertBefore(document.adoptNode(node), anchor);
    }
    return true;
  }

  let served = null; // the body as last served: what the next update is compared with
  // The page as served when it was opened, for the first update to compare with: fetched once,
  // and taken only if it is the build this page was loaded from.
  fetch(location.href, { cache: "no-store" })
    .then((response) => (response.ok ? response.text() : null))
    .then((text) => {
      if (text === null || served !== null) return;
      const page = new DOMParser().parseFromString(text, "text/html");
      const version = page.querySelector("script[data-version]")?.dataset.version;
      if (Number(version) === loadedVersion) served = page.body;
    })
    .catch(() => {}); // then the first update replaces the body whole
  let updates = 0;
  async function updatePage() {
    const update = ++updates;
    try {
      const response = await fetch(location.href, { cache: "no-store" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const next = new DOMParser().parseFromString(await response.text(), "text/html");
      if (update !== updates) return; // a newer rebuild's update is on its way
      const version = next.querySelector("script[data-version]")?.dataset.version;
      if (
        version === undefined ||
        next.querySelector(`script:not([data-version]):not([data-live]):not(${JSON_LD})`) !==
          null ||
        liveScripts(next) !== liveScripts(document) ||
        stylesheets(next) !== stylesheets(document) ||
        attributes(next.documentElement) !== attributes(document.documentElement)
      ) {
        throw new Error("the page needs a reload");
      }
      for (const element of Array.from(document.head.children).filter(isMetadata)) {
        element.remove();
      }
      document.head.append(...Array.from(next.head.children).filter(isMetadata));
      const body = next.body.cloneNode(true);
      // Adopted, its scripts stay inert.
      const patched =
        served !== null && sameShell(served, next.body) && patch(document.body, served, next.body);
      if (!patched) document.body.replaceWith(document.adoptNode(next.body));
      served = body;
      loadedVersion = Number(version);
      document.dispatchEvent(new Event("blog:swapped"));
    } catch {
      location.reload();
    }
  }

  events.addEventListener("hello", (event) => {
    // Connected (or reconnected): reload if a build happened since this page was loaded.
    if (Number(event.data) !== loadedVersion) location.reload();
  });
  events.addEventListener("reload", (event) => {
    if (event.data === "css" && !document.getElementById(overlayId)) swapStylesheets();
    else updatePage();
  });
  events.addEventListener("build-error", (event) => showOverlay(JSON.parse(event.data)));
})();

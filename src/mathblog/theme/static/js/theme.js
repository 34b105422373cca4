// The light/dark switch in the header. A page starts in the reader's saved choice (applied by
// the inline script at the top of <head>, before anything is drawn, so there is no flash of the
// other scheme), else in the system's (`prefers-color-scheme`). The switch flips the scheme shown
// and saves the choice in localStorage; without script the page follows the system, and the
// switch, which could not work, stays hidden.
(function () {
  "use strict";

  var KEY = "theme";
  var root = document.documentElement;
  var system = window.matchMedia("(prefers-color-scheme: dark)");

  function isDark() {
    var chosen = root.getAttribute("data-theme");
    return chosen ? chosen === "dark" : system.matches;
  }

  function show() {
    var button = document.querySelector(".theme-toggle");
    if (button) button.setAttribute("aria-pressed", String(isDark()));
  }

  function apply(scheme) {
    if (scheme === "light" || scheme === "dark") root.setAttribute("data-theme", scheme);
    show();
  }

  function choose() {
    var scheme = isDark() ? "light" : "dark";
    try {
      localStorage.setItem(KEY, scheme);
    } catch (e) {
      // Storage refused (a private window, a setting): the choice lasts for this page only.
    }
    apply(scheme);
  }

  function setUp() {
    var button = document.querySelector(".theme-toggle");
    if (!button) return;
    button.addEventListener("click", choose);
    button.hidden = false;
    show();
  }

  // The system switching schemes matters while the reader has made no choice.
  system.addEventListener("change", show);
  // A choice made in another tab of the site applies here as well.
  window.addEventListener("storage", function (event) {
    if (event.key === KEY) apply(event.newValue);
  });
  // `blog serve` puts a rebuilt page's body in place of this one's: set its switch up again.
  document.addEventListener("blog:swapped", setUp);
  setUp();
})();

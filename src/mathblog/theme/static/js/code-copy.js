// Each code block gets a small bar: the language it is in (from the data-lang the build wrote)
// and a button that copies the code as written. Included only on pages with a code block; the
// button's words come from this script's data- attributes (the site's language).
(function () {
  "use strict";

  var words = document.currentScript ? document.currentScript.dataset : {};
  var SHOWN_MS = 2000;

  function copyWithSelection(text) {
    // Where the Clipboard API is missing (a page served over plain http to another machine).
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } finally {
      area.remove();
    }
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return copyWithSelection(text);
  }

  function say(button, text) {
    button.textContent = text;
    clearTimeout(button.resetTimer);
    button.resetTimer = setTimeout(function () {
      button.textContent = words.copy;
    }, SHOWN_MS);
  }

  function addBar(pre) {
    // One bar each: a live update of the page (`blog serve`) keeps the blocks it did not change.
    if (pre.parentNode.classList.contains("code-frame")) return;
    var frame = document.createElement("div");
    frame.className = "code-frame";
    pre.parentNode.insertBefore(frame, pre);
    frame.appendChild(pre);
    var bar = document.createElement("div");
    bar.className = "code-bar";
    var language = pre.getAttribute("data-lang");
    if (language) {
      var label = document.createElement("span");
      label.className = "code-lang";
      label.textContent = language;
      bar.appendChild(label);
    }
    var button = document.createElement("button");
    button.type = "button";
    button.className = "code-copy";
    button.textContent = words.copy;
    button.addEventListener("click", function () {
      var code = pre.querySelector("code") || pre;
      copy(code.textContent).then(
        function () { say(button, words.copied); },
        function () { say(button, words.failed); }
      );
    });
    bar.appendChild(button);
    frame.appendChild(bar);
  }

  function addBars() {
    document.querySelectorAll("main pre").forEach(addBar);
  }

  // `blog serve` puts a rebuilt page's body in place of this one's: its code gets bars again.
  document.addEventListener("blog:swapped", addBars);
  addBars();
})();

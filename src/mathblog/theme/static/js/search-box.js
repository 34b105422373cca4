// On every page: `/` puts the cursor in the search box (the search page's own, or the header's
// plain form to /search/?q=). On a post opened from a search result (`?highlight=…`): marks
// what the query matched in the post and scrolls to the first match. A text fragment
// (`#:~:text=`) would need no script, but it cannot mark a formula, which is MathML in the page
// and TeX in the query; this script matches a TeX command against each formula's TeX source.
// It fetches nothing. It is a theme script (data-live) that needs no setting up again when
// `blog serve` swaps in a rebuilt body: its key listener is on the document, and it finds the
// box when the key is pressed.
(function () {
  "use strict";

  function typing(target) {
    return (
      target instanceof HTMLElement &&
      (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))
    );
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var box = document.getElementById("search-query") || document.querySelector(".site-search input");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });

  var query = new URLSearchParams(window.location.search).get("highlight");
  var body = document.querySelector("article.post .content");
  if (!query || !body) return;

  // The query's words, TeX commands (with a short argument) and CJK runs, lowercased.
  var CJK = "\\u3040-\\u30ff\\u3100-\\u312f\\u3130-\\u318f\\u31a0-\\u31ff\\u3400-\\u4dbf\\u4e00-\\u9fff" +
    "\\uac00-\\ud7af\\uf900-\\ufaff\\u{20000}-\\u{2fa1f}";
  var PIECE = new RegExp(
    "\\\\[a-z]+(?:\\s*\\{\\s*[a-z0-9]{1,16}\\s*\\})?|[" + CJK + "]+|(?:(?![" + CJK + "])[\\p{L}\\p{N}])+",
    "gu"
  );
  var needles = (query.normalize("NFKC").toLowerCase().match(PIECE) || []).map(function (piece) {
    return piece.replace(/\s+/g, "");
  });
  var tex = needles.filter(function (needle) { return needle.charAt(0) === "\\"; });
  var words = needles.filter(function (needle) { return needle.charAt(0) !== "\\"; });
  var marks = [];

  tex.forEach(function (needle) {
    body.querySelectorAll("annotation[encoding='application/x-tex']").forEach(function (note) {
      var source = note.textContent.toLowerCase().replace(/\s+/g, "");
      var math = note.closest("math");
      if (math && source.indexOf(needle) !== -1 && !math.classList.contains("search-hit")) {
        math.classList.add("search-hit");
        marks.push(math);
      }
    });
  });

  // A CJK run as it is; a word from its start to the end of the word it begins (the search
  // completes the word being typed: `softm` marks all of `softmax`).
  var WORDS = new RegExp(
    words
      .map(function (word) {
        var escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        return new RegExp("^[" + CJK + "]", "u").test(word)
          ? escaped
          : "(?<![\\p{L}\\p{N}])" + escaped + "[\\p{L}\\p{N}]*";
      })
      .join("|") || "(?!)",
    "giu"
  );

  var MAX_MARKS = 100; // a common word need not be marked a thousand times
  if (words.length) {
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        var parent = node.parentElement;
        return parent && parent.closest("math, script, style, .heading-anchor")
          ? NodeFilter.FILTER_REJECT
          : NodeFilter.FILTER_ACCEPT;
      },
    });
    var nodes = [];
    while (walker.nextNode()) nodes.push(walker.currentNode);
    nodes.forEach(function (node) {
      if (marks.length >= MAX_MARKS) return;
      markIn(node);
    });
  }

  function markIn(node) {
    WORDS.lastIndex = 0;
    var found = WORDS.exec(node.data);
    if (!found) return;
    var hit = node.splitText(found.index);
    var rest = hit.splitText(found[0].length);
    var mark = document.createElement("mark");
    mark.className = "search-hit";
    hit.parentNode.replaceChild(mark, hit);
    mark.appendChild(hit);
    marks.push(mark);
    if (marks.length < MAX_MARKS) markIn(rest);
  }

  var first = marks.reduce(function (earliest, node) {
    return !earliest || earliest.compareDocumentPosition(node) & Node.DOCUMENT_POSITION_PRECEDING
      ? node
      : earliest;
  }, null);
  if (first) {
    first.classList.add("search-first");
    first.scrollIntoView({ block: "center" });
  }
  document.documentElement.dataset.highlight = String(marks.length);
})();

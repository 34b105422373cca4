// The search page: looks a query up in the index `blog build` wrote (src/mathblog/search/index.py),
// fetching only the shards of the query's terms and the documents it shows. Loaded by the
// search page alone. Every URL comes from the page's settings, so a site under a sub-path works.
// The last word of the query, while it is typed, is completed (`softm` finds softmax) from one
// prefix shard; each result shows a snippet around its best match, with the matches marked,
// and links to its post with `?highlight=` (read by search-box.js there).
(function () {
  "use strict";

  var settingsNode = document.getElementById("search-settings");
  if (!settingsNode) return;
  var settings = JSON.parse(settingsNode.textContent);
  var form = document.querySelector("form.search-form");
  var input = document.getElementById("search-query");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var more = document.getElementById("search-more");
  var PAGE = 10; // results, and so document files, fetched at a time
  var PREFIX_LENGTH = 3; // as tokens.PREFIX_LENGTH
  var COMPLETED = 0.5; // a completed term counts half as much as the word typed in full

  // --- Terms: the same rules as src/mathblog/search/tokens.py ---------------------------------
  var CJK =
    "\\u3040-\\u30ff\\u3100-\\u312f\\u3130-\\u318f\\u31a0-\\u31ff\\u3400-\\u4dbf\\u4e00-\\u9fff" +
    "\\uac00-\\ud7af\\uf900-\\ufaff\\u{20000}-\\u{2fa1f}";
  var TOKEN = new RegExp(
    "\\\\([a-z]+)\\s*\\{\\s*([a-z0-9]{1,16})\\s*\\}" +
      "|(\\\\[a-z]+)" +
      "|([" + CJK + "]+)" +
      "|((?:(?![" + CJK + "])[\\p{L}\\p{N}])+)",
    "gu"
  );

  function queryTerms(text) {
    var terms = [];
    var normalized = text.normalize("NFKC").toLowerCase();
    var match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(normalized)) !== null) {
      if (match[1] !== undefined) {
        terms.push("\\" + match[1], match[2], "\\" + match[1] + "{" + match[2] + "}");
      } else if (match[3] !== undefined) {
        terms.push(match[3]);
      } else if (match[4] !== undefined) {
        var chars = Array.from(match[4]);
        if (chars.length === 1) terms.push(chars[0]);
        for (var i = 0; i + 1 < chars.length; i++) terms.push(chars[i] + chars[i + 1]);
      } else {
        terms.push(match[5]);
      }
    }
    return Array.from(new Set(terms));
  }

  // The word or bare TeX command the query ends in, still being typed (tokens.completing).
  function completing(text) {
    var normalized = text.normalize("NFKC").toLowerCase();
    var match;
    var last = null;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(normalized)) !== null) last = match;
    if (!last || last.index + last[0].length !== normalized.length) return null;
    return last[3] !== undefined ? last[3] : last[5] !== undefined ? last[5] : null;
  }

  function prefixKey(term) {
    return Array.from(term).slice(0, PREFIX_LENGTH).join("");
  }

  // --- Shards: CRC-32 of the term's UTF-8 bytes, as Python's zlib.crc32 -----------------------
  var CRC_TABLE = (function () {
    var table = new Int32Array(256);
    for (var n = 0; n < 256; n++) {
      var c = n;
      for (var k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c;
    }
    return table;
  })();
  var encoder = new TextEncoder();

  function crc32(term) {
    var bytes = encoder.encode(term);
    var crc = -1;
    for (var i = 0; i < bytes.length; i++) crc = CRC_TABLE[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ -1) >>> 0;
  }

  function shardOf(term) {
    return crc32(term) & (settings.shards - 1);
  }

  var fetched = new Map();

  function load(path) {
    if (!fetched.has(path)) {
      var url = settings.index + path + "?v=" + encodeURIComponent(settings.version);
      fetched.set(
        path,
        fetch(url).then(function (response) {
          if (!response.ok) throw new Error(url + ": " + response.status);
          return response.json();
        })
      );
    }
    return fetched.get(path);
  }

  // --- Finding and ranking ------------------------------------------------------------------
  // Every term must occur. A document scores the sum over terms of idf × log(1 + weight), where
  // a title counts most, then tags, then headings, then the body; ties go to the newer post.
  // The term being typed matches itself and every term it starts with, each of those scoring
  // COMPLETED of its own score; a document counts its best one.
  var has = Object.prototype.hasOwnProperty;

  function lists(term, open) {
    if (term !== open) {
      return load("shards/" + shardOf(term) + ".json").then(function (shard) {
        return has.call(shard, term) ? [[shard[term], 1]] : [];
      });
    }
    var key = prefixKey(term);
    return load("prefixes/" + shardOf(key) + ".json").then(function (shard) {
      var found = [];
      var short = Array.from(term).length < PREFIX_LENGTH; // completes to nothing but itself
      Object.keys(shard).forEach(function (candidate) {
        if (candidate === term) found.push([shard[candidate], 1]);
        else if (!short && candidate.lastIndexOf(term, 0) === 0) found.push([shard[candidate], COMPLETED]);
      });
      return found;
    });
  }

  function termScores(found) {
    var best = new Map();
    found.forEach(function (entry) {
      var flat = entry[0];
      var idf = Math.log(1 + settings.documents / Math.max(1, flat.length / 2));
      var doc = 0;
      for (var i = 0; i < flat.length; i += 2) {
        doc += flat[i];
        var score = entry[1] * idf * Math.log(1 + flat[i + 1]);
        if (!(best.get(doc) >= score)) best.set(doc, score);
      }
    });
    return best;
  }

  function find(terms, open) {
    return Promise.all(
      terms.map(function (term) {
        return lists(term, open).then(termScores);
      })
    ).then(function (perTerm) {
      var scores = null;
      perTerm.forEach(function (found) {
        var next = new Map();
        found.forEach(function (score, doc) {
          if (scores === null || scores.has(doc)) next.set(doc, (scores === null ? 0 : scores.get(doc)) + score);
        });
        scores = next;
      });
      return Array.from(scores || []).sort(function (a, b) {
        return b[1] - a[1] || b[0] - a[0];
      });
    });
  }

  // --- Showing results ----------------------------------------------------------------------
  var current = 0; // the latest search; older ones that finish late are dropped
  var results = [];
  var shown = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // --- Snippets: what to look for in a document's text, and the passage to show ------------
  // A needle is lowercased text and whether it must end a word. A CJK run is looked for whole,
  // or by its pairs when it is not in the text as written.
  function needlesOf(text) {
    var needles = [];
    var open = completing(text);
    var normalized = text.normalize("NFKC").toLowerCase();
    var match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(normalized)) !== null) {
      if (match[1] !== undefined) needles.push({ text: "\\" + match[1] + "{" + match[2] + "}", whole: false });
      else if (match[4] !== undefined) needles.push({ text: match[4], whole: false, cjk: true });
      else {
        var word = match[3] !== undefined ? match[3] : match[5];
        var atEnd = match.index + match[0].length === normalized.length;
        var typed = atEnd && word === open;
        needles.push({ text: word, whole: !typed, typed: typed });
      }
    }
    return needles;
  }

  var WORD_CHAR = /[\p{L}\p{N}]/u;
  var LATIN_CHAR = new RegExp("(?![" + CJK + "])[\\p{L}\\p{N}]", "u");
  var MAX_HITS = 200;

  function occurrences(lower, needle, index, hits) {
    var at = lower.indexOf(needle.text);
    var count = 0;
    while (at !== -1 && count < MAX_HITS) {
      var end = at + needle.text.length;
      // The word being typed is marked to the end of the word it starts: `softm` → softmax.
      while (needle.typed && end < lower.length && LATIN_CHAR.test(lower.charAt(end))) end++;
      var before = needle.text.charAt(0) !== "\\" && at > 0 && WORD_CHAR.test(lower.charAt(at - 1));
      var after = needle.whole && end < lower.length && WORD_CHAR.test(lower.charAt(end));
      if (!before && !after) {
        hits.push({ start: at, end: end, needle: index });
        count++;
      }
      at = lower.indexOf(needle.text, at + 1);
    }
    return count;
  }

  function hitsIn(text, needles) {
    var lower = text.toLowerCase();
    if (lower.length !== text.length) return [];
    var hits = [];
    needles.forEach(function (needle, index) {
      if (occurrences(lower, needle, index, hits) || !needle.cjk) return;
      var chars = Array.from(needle.text);
      for (var i = 0; i + 1 < chars.length; i++) {
        occurrences(lower, { text: chars[i] + chars[i + 1], whole: false }, index, hits);
      }
    });
    return hits.sort(function (a, b) { return a.start - b.start || b.end - a.end; });
  }

  var SPAN = 160; // characters of a snippet
  var LEAD = 40; // of them before its first match

  // The passage with the most distinct needles within SPAN characters, the earliest of those.
  function bestWindow(hits) {
    var best = null;
    for (var i = 0; i < hits.length; i++) {
      var seen = new Set();
      for (var j = i; j < hits.length && hits[j].end <= hits[i].start + SPAN - LEAD; j++) seen.add(hits[j].needle);
      if (!best || seen.size > best.distinct) best = { from: hits[i].start, distinct: seen.size };
    }
    return best;
  }

  // Appends text[from, to) to `node`, with the hits in it marked.
  function appendMarked(node, text, hits, from, to) {
    var at = from;
    hits.forEach(function (hit) {
      if (hit.start < at || hit.end > to) return;
      node.appendChild(document.createTextNode(text.slice(at, hit.start)));
      node.appendChild(element("mark", "", text.slice(hit.start, hit.end)));
      at = hit.end;
    });
    node.appendChild(document.createTextNode(text.slice(at, to)));
  }

  function snippet(text, hits, best) {
    var node = element("p", "search-result-text");
    var from = Math.max(0, best.from - LEAD);
    var to = Math.min(text.length, from + SPAN);
    if (from > 0) node.appendChild(document.createTextNode("…"));
    appendMarked(node, text, hits, from, to);
    if (to < text.length) node.appendChild(document.createTextNode("…"));
    return node;
  }

  // Exact phrase and proximity, measured on the text of the documents fetched for a page of
  // results: the whole query as written counts double, all its words close together a third more.
  function closeness(doc, needles, query, best) {
    if (needles.length < 2) return 1;
    var phrase = query.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
    var haystack = (doc.title + " " + (doc.body || "")).toLowerCase();
    if (haystack.indexOf(phrase) !== -1) return 2;
    return best && best.distinct === needles.length ? 1.3 : 1;
  }

  function resultItem(doc, query, needles, passage) {
    var item = element("li", "search-result");
    var heading = element("h2", "search-result-title");
    var link = element("a", "");
    appendMarked(link, doc.title, hitsIn(doc.title, needles), 0, doc.title.length);
    link.href = doc.url + "?highlight=" + encodeURIComponent(query.trim());
    heading.appendChild(link);
    item.appendChild(heading);
    var meta = element("p", "search-result-meta");
    var time = element("time", "", doc.date);
    time.dateTime = doc.date;
    meta.appendChild(time);
    if (doc.tags.length) {
      var tags = " · " + doc.tags.join(", ");
      appendMarked(meta, tags, hitsIn(tags, needles), 0, tags.length);
    }
    item.appendChild(meta);
    if (passage) item.appendChild(passage);
    else if (doc.text) item.appendChild(element("p", "search-result-text", doc.text));
    return item;
  }

  function showMore(search, query) {
    var batch = results.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = true;
    return Promise.all(
      batch.map(function (result) {
        return load("docs/" + result[0] + ".json");
      })
    ).then(function (docs) {
      if (search !== current) return;
      var needles = needlesOf(query);
      var shownDocs = docs.map(function (doc, n) {
        var hits = hitsIn(doc.body || "", needles);
        var best = bestWindow(hits);
        var passage = best ? snippet(doc.body, hits, best) : null;
        var score = batch[n][1] * closeness(doc, needles, query, best);
        return { item: resultItem(doc, query, needles, passage), score: score, doc: batch[n][0] };
      });
      shownDocs.sort(function (a, b) { return b.score - a.score || b.doc - a.doc; });
      shownDocs.forEach(function (shownDoc) { list.appendChild(shownDoc.item); });
      more.hidden = shown >= results.length;
    });
  }

  // --- Keyboard: arrows move from the box through the results, Enter opens the focused one --
  function resultLinks() {
    return Array.from(list.querySelectorAll(".search-result-title a"));
  }

  function moveFocus(event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = resultLinks();
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    var next = at + (event.key === "ArrowDown" ? 1 : -1);
    if (at === -1 && event.target !== input) return;
    event.preventDefault();
    if (at === -1) next = 0;
    if (next < 0) input.focus();
    else links[Math.min(next, links.length - 1)].focus();
  }

  input.addEventListener("keydown", moveFocus);
  list.addEventListener("keydown", moveFocus);

  var lastQuery = "";

  function run(query) {
    var search = ++current;
    lastQuery = query;
    var terms = queryTerms(query);
    list.textContent = "";
    more.hidden = true;
    results = [];
    shown = 0;
    if (!terms.length) {
      status.textContent = "";
      return Promise.resolve();
    }
    return find(terms, completing(query))
      .then(function (found) {
        if (search !== current) return;
        results = found;
        status.textContent = !found.length
          ? settings.none
          : found.length === 1
            ? settings.found_one
            : settings.found.replace("{n}", String(found.length));
        return showMore(search, query);
      })
      .catch(function (error) {
        if (search !== current) return;
        status.textContent = settings.failed;
        console.error(error);
      });
  }

  function remember(query) {
    var url = new URL(window.location.href);
    if (query) url.searchParams.set("q", query);
    else url.searchParams.delete("q");
    window.history.replaceState(null, "", url);
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      remember(input.value);
      run(input.value);
    }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    remember(input.value);
    run(input.value);
  });
  more.addEventListener("click", function () {
    showMore(current, lastQuery);
  });

  // For tests/test_search_browser.py, which checks these against the Python side.
  window.blogSearch = { terms: queryTerms, crc32: crc32, completing: completing };

  var initial = new URLSearchParams(window.location.search).get("q") || "";
  input.value = initial;
  document.documentElement.dataset.search = "ready";
  run(initial).then(function () {
    document.documentElement.dataset.search = "done";
  });
})();

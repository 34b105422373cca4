// The search page: looks a query up in the index `blog build` wrote (src/mathblog/search/index.py),
// fetching only the shards of the query's terms and the documents it shows. Loaded by the
// search page alone. Every URL comes from the page's settings, so a site under a sub-path works.
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
  var PAGE = 20;

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
  // a title counts most, then tags, then the body; ties go to the newer post.
  function find(terms) {
    return Promise.all(
      terms.map(function (term) {
        return load("shards/" + shardOf(term) + ".json").then(function (shard) {
          return Object.prototype.hasOwnProperty.call(shard, term) ? shard[term] : [];
        });
      })
    ).then(function (postings) {
      var scores = null;
      postings.forEach(function (flat) {
        var idf = Math.log(1 + settings.documents / Math.max(1, flat.length / 2));
        var next = new Map();
        var doc = 0;
        for (var i = 0; i < flat.length; i += 2) {
          doc += flat[i];
          if (scores === null || scores.has(doc)) {
            next.set(doc, (scores === null ? 0 : scores.get(doc)) + idf * Math.log(1 + flat[i + 1]));
          }
        }
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

  function showMore(search) {
    var batch = results.slice(shown, shown + PAGE);
    shown += batch.length;
    more.hidden = true;
    return Promise.all(
      batch.map(function (result) {
        return load("docs/" + result[0] + ".json");
      })
    ).then(function (docs) {
      if (search !== current) return;
      docs.forEach(function (doc) {
        var item = element("li", "search-result");
        var heading = element("h2", "search-result-title");
        var link = element("a", "", doc.title);
        link.href = doc.url;
        heading.appendChild(link);
        item.appendChild(heading);
        var meta = element("p", "search-result-meta");
        var time = element("time", "", doc.date);
        time.dateTime = doc.date;
        meta.appendChild(time);
        if (doc.tags.length) meta.appendChild(document.createTextNode(" · " + doc.tags.join(", ")));
        item.appendChild(meta);
        if (doc.text) item.appendChild(element("p", "search-result-text", doc.text));
        list.appendChild(item);
      });
      more.hidden = shown >= results.length;
    });
  }

  function run(query) {
    var search = ++current;
    var terms = queryTerms(query);
    list.textContent = "";
    more.hidden = true;
    results = [];
    shown = 0;
    if (!terms.length) {
      status.textContent = "";
      return Promise.resolve();
    }
    return find(terms)
      .then(function (found) {
        if (search !== current) return;
        results = found;
        status.textContent = !found.length
          ? settings.none
          : found.length === 1
            ? settings.found_one
            : settings.found.replace("{n}", String(found.length));
        return showMore(search);
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
    showMore(current);
  });

  // For tests/test_search_browser.py, which checks these against the Python side.
  window.blogSearch = { terms: queryTerms, crc32: crc32 };

  var initial = new URLSearchParams(window.location.search).get("q") || "";
  input.value = initial;
  document.documentElement.dataset.search = "ready";
  run(initial).then(function () {
    document.documentElement.dataset.search = "done";
  });
})();

/* Search past incidents in the browser, offline, ranked as `postmortems search` ranks them.
 *
 * One engine serves the "Search root causes" page and Material's header search box. It indexes
 * the compact search data with MiniSearch using the command line's rules, shipped in the data:
 * the same fields and boosts, BM25 parameters, stop words and word stems (the stem of every
 * indexed word comes from the Whoosh analyzer), the same synonym expansion, every word first
 * and then any word, and the same did-you-mean. Text from postmortems is only ever put in the
 * page with textContent, never as HTML.
 */
(function () {
  "use strict";

  // search.query.FIELD_BOOSTS and Whoosh's BM25F defaults (K1 1.2, B 0.75).
  var BOOST = { root_cause: 3, title: 2, keywords: 1.5, text: 1 };
  var BM25 = { k: 1.2, b: 0.75, d: 0 };
  var FIELD_LABELS = { title: "title", root_cause: "root cause", text: "summary" };
  var OPERATORS = new Set(["AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"]);
  // Whoosh's default tokenizer: \w+(\.?\w+)*
  var TOKEN = /[\p{L}\p{N}_]+(?:\.[\p{L}\p{N}_]+)*/gu;
  var SUFFIXES = ["ations", "ation", "ments", "ment", "ness", "ing", "ies", "ied", "ed", "es", "ly", "s", "e"];

  function tokens(text) {
    return (text || "").toLowerCase().match(TOKEN) || [];
  }

  // Optimal string alignment distance (an insertion, deletion, change or swap costs one).
  function distance(a, b, limit) {
    if (Math.abs(a.length - b.length) > limit) return limit + 1;
    var rows = [];
    for (var i = 0; i <= a.length; i++) {
      rows.push([i]);
      for (var j = 1; j <= b.length; j++) {
        if (i === 0) { rows[0].push(j); continue; }
        var cost = a[i - 1] === b[j - 1] ? 0 : 1;
        var best = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
          best = Math.min(best, rows[i - 2][j - 2] + 1);
        }
        rows[i].push(best);
      }
    }
    return rows[a.length][b.length];
  }

  function Engine(data) {
    var self = this;
    this.facets = data.facets;
    this.stop = new Set(data.stopWords || []);
    this.stems = data.stems || {};
    this.known = new Set();
    Object.keys(this.stems).forEach(function (word) {
      self.known.add(self.stems[word] || word);
    });
    this.synonyms = new Map();
    this.longest = 1;
    (data.synonyms || []).forEach(function (group) {
      group.forEach(function (member) {
        self.synonyms.set(member, group);
        self.longest = Math.max(self.longest, member.split(" ").length);
      });
    });
    this.docs = data.docs.map(function (row, n) {
      return {
        id: n, url: row[0], title: row[1], date: row[2], severity: row[3], services: row[4],
        tags: row[5], categories: row[6], trigger: row[7], root_cause: row[8], text: row[9],
        year: row[2].slice(0, 4),
      };
    });
    var started = performance.now();
    this.index = new MiniSearch({
      fields: ["root_cause", "title", "keywords", "text"],
      tokenize: tokens,
      processTerm: function (term) { return self.stem(term); },
      extractField: function (doc, field) {
        return field === "keywords" ? self.keywords(doc) : doc[field];
      },
      searchOptions: { boost: BOOST, bm25: BM25 },
    });
    this.index.addAll(this.docs);
    this.indexMs = performance.now() - started;
  }

  // The Whoosh stem of a word: from the shipped table for every indexed word; for a word no
  // postmortem contains, the indexed stem it reduces to by dropping a suffix, if any.
  Engine.prototype.stem = function (term) {
    var word = term.toLowerCase();
    if (word.length < 2 || this.stop.has(word)) return null;
    if (Object.prototype.hasOwnProperty.call(this.stems, word)) return this.stems[word] || word;
    if (this.known.has(word)) return word;
    for (var i = 0; i < SUFFIXES.length; i++) {
      var suffix = SUFFIXES[i];
      if (word.length > suffix.length + 2 && word.slice(-suffix.length) === suffix) {
        var base = word.slice(0, -suffix.length);
        if (this.known.has(base)) return base;
        if (suffix === "ies" || suffix === "ied") {
          if (this.known.has(base + "i")) return base + "i";
        }
      }
    }
    return word;
  };

  Engine.prototype.keywords = function (doc) {
    var facets = this.facets;
    var values = [];
    doc.services.forEach(function (n) { values.push(facets.service[n]); });
    doc.tags.forEach(function (n) { values.push(facets.tag[n]); });
    doc.categories.forEach(function (n) { values.push(facets.category[n]); });
    if (doc.trigger) values.push(doc.trigger);
    return values.join(" ").replace(/[-_]/g, " ");
  };

  // The same rule as search.synonyms.expand_query: at each word, the longest run of words that
  // is a synonym is replaced by "any member of its group".
  Engine.prototype.expand = function (query, combineWith) {
    var words = query.toLowerCase().match(/[^\s"()]+/g) || [];
    var units = [];
    var i = 0;
    while (i < words.length) {
      var matched = null;
      for (var size = Math.min(this.longest, words.length - i); size > 0; size--) {
        var key = words.slice(i, i + size).join(" ");
        if (this.synonyms.has(key)) {
          matched = { size: size, group: this.synonyms.get(key) };
          break;
        }
      }
      if (matched) {
        units.push({
          combineWith: "OR",
          queries: matched.group.map(function (member) {
            return { combineWith: "AND", queries: [member] };
          }),
        });
        i += matched.size;
      } else {
        if (tokens(words[i]).some(this.stem, this)) units.push(words[i]);
        i += 1;
      }
    }
    return { combineWith: combineWith, queries: units };
  };

  // Every word first, else any word (as Searcher.search does).
  Engine.prototype.run = function (query, accepts) {
    var self = this;
    var options = {
      filter: accepts ? function (result) { return accepts(self.docs[result.id]); } : undefined,
      // While a word is being typed it may be the start of an indexed word.
      prefix: function (term, i, terms) {
        return i === terms.length - 1 && term.length > 2 && !self.known.has(term);
      },
    };
    var found = this.index.search(this.expand(query, "AND"), options);
    if (found.length) return { hits: found, partial: false };
    found = this.index.search(this.expand(query, "OR"), options);
    return { hits: found, partial: found.length > 0 };
  };

  // Did you mean: each unknown word replaced by the closest indexed word, as Searcher.suggest.
  Engine.prototype.suggest = function (query) {
    var self = this;
    var changed = false;
    var words = Object.keys(this.stems);
    var fixed = query.replace(/(^|[^\w:~*\-])([A-Za-z][A-Za-z0-9]*)(?![\w:~*\-])/g, function (all, lead, word) {
      var lower = word.toLowerCase();
      if (OPERATORS.has(word) || self.synonyms.has(lower) || self.stop.has(lower)) return all;
      if (lower.length < 2 || Object.prototype.hasOwnProperty.call(self.stems, lower)) return all;
      if (self.known.has(self.stem(lower))) return all;
      var best = null;
      var tries = [[1, 1]];
      if (lower.length > 4) tries.push([2, 2]);
      for (var t = 0; t < tries.length && !best; t++) {
        var limit = tries[t][0];
        var prefix = lower.slice(0, tries[t][1]);
        var bestDistance = limit + 1;
        words.forEach(function (candidate) {
          if (candidate.slice(0, prefix.length) !== prefix) return;
          var d = distance(lower, candidate, limit);
          if (d < bestDistance || (d === bestDistance && best !== null && candidate < best)) {
            best = candidate;
            bestDistance = d;
          }
        });
        if (bestDistance > limit) best = null;
      }
      if (!best) return all;
      changed = true;
      return lead + best;
    });
    return changed ? fixed : null;
  };

  // The whole answer to a query: hits, whether they match only some words, and a correction.
  Engine.prototype.answer = function (query, accepts) {
    var result = this.run(query, accepts);
    var suggestion = this.suggest(query);
    var corrected = false;
    if (suggestion && (result.partial || !result.hits.length)) {
      var other = this.run(suggestion, accepts);
      if (other.hits.length && (!result.hits.length || !other.partial)) {
        result = other;
        corrected = true;
      }
    }
    return {
      hits: result.hits, partial: result.partial, suggestion: suggestion, corrected: corrected,
    };
  };

  // Why a hit matched: the words of each field whose stems the query matched, and the facet
  // values (one each) holding a matched word.
  Engine.prototype.why = function (hit) {
    var self = this;
    var doc = this.docs[hit.id];
    var matched = new Set(Object.keys(hit.match || {}));
    var reasons = [];
    ["title", "root_cause", "text"].forEach(function (field) {
      var words = [];
      tokens(doc[field]).forEach(function (word) {
        var stem = self.stem(word);
        if (stem && matched.has(stem) && words.indexOf(word) < 0) words.push(word);
      });
      if (words.length) reasons.push(FIELD_LABELS[field] + ": " + words.slice(0, 4).join(", "));
    });
    this.values(doc).forEach(function (pair) {
      var hits = tokens(pair[1].replace(/[-_]/g, " ")).some(function (word) {
        return matched.has(self.stem(word));
      });
      if (hits) reasons.push(pair[0] + ": " + pair[1]);
    });
    return reasons;
  };

  // The facet values of a document as (kind, value), each value once.
  Engine.prototype.values = function (doc) {
    var facets = this.facets;
    var seen = new Set();
    var pairs = [];
    function add(kind, value) {
      var key = value.toLowerCase();
      if (!value || seen.has(key)) return;
      seen.add(key);
      pairs.push([kind, value]);
    }
    doc.categories.forEach(function (n) { add("category", facets.category[n]); });
    doc.tags.forEach(function (n) { add("tag", facets.tag[n]); });
    doc.services.forEach(function (n) { add("service", facets.service[n]); });
    add("trigger", doc.trigger);
    return pairs;
  };

  // Put `text` into `parent`, marking the words whose stems the query matched.
  Engine.prototype.highlight = function (parent, text, matched) {
    var pattern = new RegExp(TOKEN.source, "gu");
    var last = 0;
    var found;
    while ((found = pattern.exec(text)) !== null) {
      var stem = this.stem(found[0]);
      if (stem && matched.has(stem)) {
        parent.appendChild(document.createTextNode(text.slice(last, found.index)));
        var mark = document.createElement("mark");
        mark.textContent = found[0];
        parent.appendChild(mark);
        last = found.index + found[0].length;
      }
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  };

  function fetchJson(url) {
    return fetch(url).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    });
  }

  // The gzipped copy is a tenth of the bytes whether or not the host compresses JSON; the
  // plain copy serves browsers without DecompressionStream and hosts that send the .gz file
  // already decoded (Content-Encoding: gzip), where inflating it again fails.
  function load(url) {
    if (typeof DecompressionStream !== "function") return fetchJson(url);
    return fetch(url + ".gz")
      .then(function (response) {
        if (!response.ok || !response.body) throw new Error("HTTP " + response.status);
        var inflated = response.body.pipeThrough(new DecompressionStream("gzip"));
        return new Response(inflated).json();
      })
      .catch(function () { return fetchJson(url); });
  }

  var engines = {};
  function engine(url) {
    if (!engines[url]) {
      engines[url] = load(url).then(function (data) { return new Engine(data); });
    }
    return engines[url];
  }

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // ---- the "Search root causes" page -------------------------------------------------------

  function searchPage(root) {
    var input = document.getElementById("pm-search-q");
    var status = document.getElementById("pm-search-status");
    var list = document.getElementById("pm-search-results");
    var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-facet]"));
    var SHOWN = 50;

    function init(search) {
      var facets = search.facets;
      var docs = search.docs;
      root.dataset.indexMs = String(Math.round(search.indexMs));
      var counts = { severity: {}, service: {}, tag: {}, category: {}, year: {} };
      docs.forEach(function (doc) {
        counts.severity[doc.severity] = (counts.severity[doc.severity] || 0) + 1;
        counts.year[doc.year] = (counts.year[doc.year] || 0) + 1;
        [["service", doc.services], ["tag", doc.tags], ["category", doc.categories]].forEach(
          function (pair) {
            pair[1].forEach(function (n) { counts[pair[0]][n] = (counts[pair[0]][n] || 0) + 1; });
          }
        );
      });
      selects.forEach(function (select) {
        var facet = select.dataset.facet;
        var keys = Object.keys(counts[facet]);
        if (facet === "year") {
          keys.sort().reverse();
        } else if (facet === "severity") {
          keys.sort(function (a, b) { return a - b; });
        } else {
          keys.sort(function (a, b) { return facets[facet][a].localeCompare(facets[facet][b]); });
        }
        keys.forEach(function (key) {
          var label = facet === "year" ? key : facets[facet][key];
          var option = element("option", "", label + " (" + counts[facet][key] + ")");
          option.value = key;
          select.appendChild(option);
        });
        select.disabled = false;
        select.addEventListener("change", run);
      });

      function chosen() {
        var filters = {};
        selects.forEach(function (select) {
          if (select.value !== "") filters[select.dataset.facet] = select.value;
        });
        return filters;
      }

      function accepts(filters) {
        return function (doc) {
          if ("severity" in filters && String(doc.severity) !== filters.severity) return false;
          if ("year" in filters && doc.year !== filters.year) return false;
          if ("service" in filters && doc.services.indexOf(+filters.service) < 0) return false;
          if ("tag" in filters && doc.tags.indexOf(+filters.tag) < 0) return false;
          if ("category" in filters && doc.categories.indexOf(+filters.category) < 0) return false;
          return true;
        };
      }

      function draw(found, elapsed, query, answer) {
        list.textContent = "";
        found.slice(0, SHOWN).forEach(function (entry) {
          var doc = docs[entry.id];
          var matched = new Set(Object.keys(entry.match || {}));
          var item = element("li", "pm-search__result");
          var heading = element("a", "pm-search__title");
          heading.href = root.dataset.base + "/" + doc.url;
          search.highlight(heading, doc.title, matched);
          item.appendChild(heading);
          item.appendChild(element("div", "pm-search__meta", [doc.date, facets.severity[doc.severity]]
            .concat(doc.services.map(function (n) { return facets.service[n]; }))
            .join(" · ")));
          var cause = element("p", "pm-search__cause");
          cause.appendChild(element("strong", "", "Root cause: "));
          search.highlight(cause, doc.root_cause || "not written yet", matched);
          item.appendChild(cause);
          if (matched.size) {
            item.appendChild(element("p", "pm-search__why", "Why: " + search.why(entry).join("; ")));
          }
          var chips = element("p", "pm-chips");
          search.values(doc).forEach(function (pair) {
            if (pair[0] === "category" || pair[0] === "tag") {
              chips.appendChild(element("span", "pm-chip pm-chip--" + pair[0], pair[1]));
            }
          });
          item.appendChild(chips);
          list.appendChild(item);
        });
        var total = found.length;
        var shown = Math.min(total, SHOWN);
        var notes = "";
        if (answer && answer.corrected) notes += " Showing results for “" + answer.suggestion + "”.";
        else if (answer && answer.suggestion) notes += " Did you mean “" + answer.suggestion + "”?";
        if (answer && answer.partial) notes += " No incident matches every word; these match some of them.";
        status.textContent = (total === 0
          ? "No incident matches" + (query ? " “" + query + "”" : "") + "."
          : total + " incident" + (total === 1 ? "" : "s") +
            (total > shown ? ", showing the first " + shown : "") +
            " (" + elapsed.toFixed(1) + " ms).") + notes;
        list.dataset.ms = elapsed.toFixed(2);
      }

      function run() {
        var started = performance.now();
        var query = input.value.trim();
        var filters = chosen();
        if (query) {
          var answer = search.answer(query, accepts(filters));
          draw(answer.hits, performance.now() - started, query, answer);
        } else if (Object.keys(filters).length) {
          var keep = accepts(filters);
          var found = docs.filter(keep).map(function (doc) { return { id: doc.id, match: {} }; });
          draw(found, performance.now() - started, query, null);
        } else {
          list.textContent = "";
          status.textContent = docs.length + " incidents. Type to search their root causes.";
        }
      }

      input.disabled = false;
      input.addEventListener("input", run);
      var initial = new URLSearchParams(window.location.search).get("query");
      if (initial) input.value = initial;
      run();
      root.dataset.ready = "true";
    }

    if (typeof MiniSearch === "undefined") {
      status.textContent = "The search script could not be loaded.";
      return;
    }
    engine(root.dataset.index)
      .then(init)
      .catch(function (error) {
        status.textContent = "The search data could not be loaded (" + error.message + ").";
      });
  }

  // ---- Material's header search box ----------------------------------------------------------
  // Incident pages are not in Material's own index (their bodies would flood it and weigh
  // tens of megabytes at 10,000 incidents); the box answers from the compact data instead,
  // loaded on first use, above Material's results for the other pages, and hands over to the
  // search page for the full list.

  function headerBox(config) {
    var input = document.querySelector(".md-search__input");
    var result = document.querySelector(".md-search-result");
    if (!input || !result || typeof MiniSearch === "undefined") return;
    var SHOWN = 5;
    var box = element("div", "pm-header-results");
    box.hidden = true;
    result.insertBefore(box, result.firstChild);
    var pending = null;

    function searchPageUrl(query) {
      return config.page + "?query=" + encodeURIComponent(query);
    }

    function draw(search, query) {
      box.textContent = "";
      if (!query) { box.hidden = true; return; }
      var answer = search.answer(query);
      var heading = element("div", "md-search-result__meta pm-header-results__meta");
      var total = answer.hits.length;
      heading.textContent = total
        ? total + " incident" + (total === 1 ? "" : "s") +
          (answer.corrected ? " for “" + answer.suggestion + "”" : "") +
          (answer.partial ? " matching some words" : "")
        : "No incident matches “" + query + "”";
      box.appendChild(heading);
      var list = element("ol", "md-search-result__list pm-header-results__list");
      answer.hits.slice(0, SHOWN).forEach(function (hit) {
        var doc = search.docs[hit.id];
        var matched = new Set(Object.keys(hit.match || {}));
        var item = element("li", "md-search-result__item");
        var link = element("a", "md-search-result__link");
        link.href = config.base + "/" + doc.url;
        var article = element("article", "md-search-result__article md-typeset");
        var title = element("h1");
        search.highlight(title, doc.title, matched);
        article.appendChild(title);
        var cause = element("p");
        search.highlight(cause, shorten(doc.root_cause || doc.text, 220), matched);
        article.appendChild(cause);
        article.appendChild(element("p", "pm-header-results__why", "Why: " + search.why(hit).join("; ")));
        link.appendChild(article);
        item.appendChild(link);
        list.appendChild(item);
      });
      var more = element("li", "md-search-result__item");
      var all = element("a", "md-search-result__link pm-header-results__all",
        total > SHOWN ? "All " + total + " incidents on the search page ›" : "Search root causes with filters ›");
      all.href = searchPageUrl(query);
      all.setAttribute("data-pm-all", "");
      more.appendChild(all);
      list.appendChild(more);
      box.appendChild(list);
      box.hidden = false;
      box.dataset.query = query;
    }

    function update() {
      var query = input.value.trim();
      if (!query) { box.hidden = true; box.textContent = ""; return; }
      pending = pending || engine(config.index);
      pending.then(function (search) {
        if (input.value.trim() === query) draw(search, query);
      }).catch(function () { box.hidden = true; });
    }

    input.addEventListener("input", update);
    input.addEventListener("focus", function () { pending = pending || engine(config.index); });
    // Enter hands over to the search page (Material's own results keep their arrow keys).
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && input.value.trim() && !box.hidden) {
        event.preventDefault();
        event.stopPropagation();
        window.location.href = searchPageUrl(input.value.trim());
      }
    }, true);
    if (input.value.trim()) update();
    // Material fills the box from ?q= after this script runs.
    setTimeout(update, 0);
  }

  function shorten(text, limit) {
    var flat = (text || "").replace(/\s+/g, " ").trim();
    if (flat.length <= limit) return flat;
    var cut = flat.slice(0, limit);
    return cut.slice(0, cut.lastIndexOf(" ")) + " …";
  }

  var root = document.getElementById("pm-search");
  if (root) searchPage(root);
  var config = document.getElementById("pm-search-config");
  if (config && !root) {
    headerBox({ index: config.dataset.index, base: config.dataset.base, page: config.dataset.page });
  }
  window.PostmortemSearch = { Engine: Engine, engine: engine };
})();

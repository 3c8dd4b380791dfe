/* Search root causes in the browser: MiniSearch over the compact search data, offline.
 *
 * Ranking is MiniSearch's (BM25 with field boosts, fuzzy and prefix matching); this script only
 * expands synonyms (the same table and longest-match rule as the command line), applies the
 * facet filters and draws the results. Text from postmortems is only ever put in the page
 * with textContent, never as HTML.
 */
(function () {
  "use strict";

  var root = document.getElementById("pm-search");
  if (!root) return;
  var input = document.getElementById("pm-search-q");
  var status = document.getElementById("pm-search-status");
  var list = document.getElementById("pm-search-results");
  var selects = Array.prototype.slice.call(root.querySelectorAll("select[data-facet]"));
  var SHOWN = 50;
  var BOOST = { root_cause: 3, title: 2, keywords: 1.5 };

  if (typeof MiniSearch === "undefined") {
    status.textContent = "The search script could not be loaded.";
    return;
  }

  function words(text) {
    return text.toLowerCase().match(/[^\s"()]+/g) || [];
  }

  function synonymTable(groups) {
    var table = new Map();
    var longest = 1;
    groups.forEach(function (group) {
      group.forEach(function (member) {
        table.set(member, group);
        longest = Math.max(longest, member.split(" ").length);
      });
    });
    return { table: table, longest: longest };
  }

  // The same rule as synonyms.expand_query: at each word, the longest run of words that is a
  // synonym is replaced by "any member of its group".
  function expand(query, synonyms, combineWith) {
    var tokens = words(query);
    var units = [];
    var i = 0;
    while (i < tokens.length) {
      var matched = null;
      for (var size = Math.min(synonyms.longest, tokens.length - i); size > 0; size--) {
        var key = tokens.slice(i, i + size).join(" ");
        if (synonyms.table.has(key)) {
          matched = { size: size, group: synonyms.table.get(key) };
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
        units.push(tokens[i]);
        i += 1;
      }
    }
    return { combineWith: combineWith, queries: units };
  }

  function keywords(doc, facets) {
    var values = [];
    doc.services.forEach(function (n) { values.push(facets.service[n]); });
    doc.tags.forEach(function (n) { values.push(facets.tag[n]); });
    doc.categories.forEach(function (n) { values.push(facets.category[n]); });
    if (doc.trigger) values.push(doc.trigger);
    return values.join(" ").replace(/[-_]/g, " ");
  }

  function option(select, value, label) {
    var element = document.createElement("option");
    element.value = value;
    element.textContent = label;
    select.appendChild(element);
  }

  function highlight(parent, text, terms) {
    // Split into words and the text between them; mark the words the query matched.
    var pattern = /[\p{L}\p{N}]+/gu;
    var last = 0;
    var match;
    while ((match = pattern.exec(text)) !== null) {
      var word = match[0].toLowerCase();
      if (terms.has(word)) {
        parent.appendChild(document.createTextNode(text.slice(last, match.index)));
        var mark = document.createElement("mark");
        mark.textContent = match[0];
        parent.appendChild(mark);
        last = match.index + match[0].length;
      }
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function init(data) {
    var facets = data.facets;
    var docs = data.docs.map(function (row, n) {
      return {
        id: n, url: row[0], title: row[1], date: row[2], severity: row[3], services: row[4],
        tags: row[5], categories: row[6], trigger: row[7], root_cause: row[8],
        year: row[2].slice(0, 4),
      };
    });
    var started = performance.now();
    var search = new MiniSearch({
      fields: ["root_cause", "title", "keywords"],
      extractField: function (doc, field) {
        return field === "keywords" ? keywords(doc, facets) : doc[field];
      },
      searchOptions: {
        boost: BOOST,
        fuzzy: function (term) { return term.length > 4 ? 0.2 : false; },
        prefix: function (term, i, terms) { return i === terms.length - 1 && term.length > 2; },
      },
    });
    search.addAll(docs);
    root.dataset.indexMs = String(Math.round(performance.now() - started));
    var synonyms = synonymTable(data.synonyms || []);

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
        option(select, key, label + " (" + counts[facet][key] + ")");
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

    function accepts(doc, filters) {
      if ("severity" in filters && String(doc.severity) !== filters.severity) return false;
      if ("year" in filters && doc.year !== filters.year) return false;
      if ("service" in filters && doc.services.indexOf(+filters.service) < 0) return false;
      if ("tag" in filters && doc.tags.indexOf(+filters.tag) < 0) return false;
      if ("category" in filters && doc.categories.indexOf(+filters.category) < 0) return false;
      return true;
    }

    function draw(found, total, elapsed, query, partial) {
      list.textContent = "";
      found.slice(0, SHOWN).forEach(function (entry) {
        var doc = docs[entry.id];
        var terms = new Set(entry.terms || []);
        var item = document.createElement("li");
        item.className = "pm-search__result";
        var heading = document.createElement("a");
        heading.className = "pm-search__title";
        heading.href = root.dataset.base + "/" + doc.url;
        highlight(heading, doc.title, terms);
        item.appendChild(heading);
        var meta = document.createElement("div");
        meta.className = "pm-search__meta";
        meta.textContent = [doc.date, facets.severity[doc.severity]]
          .concat(doc.services.map(function (n) { return facets.service[n]; }))
          .join(" · ");
        item.appendChild(meta);
        var cause = document.createElement("p");
        cause.className = "pm-search__cause";
        var label = document.createElement("strong");
        label.textContent = "Root cause: ";
        cause.appendChild(label);
        highlight(cause, doc.root_cause, terms);
        item.appendChild(cause);
        var chips = document.createElement("p");
        chips.className = "pm-chips";
        doc.categories.forEach(function (n) { chip(chips, facets.category[n], "category"); });
        doc.tags.forEach(function (n) { chip(chips, facets.tag[n], "tag"); });
        item.appendChild(chips);
        list.appendChild(item);
      });
      var shown = Math.min(total, SHOWN);
      status.textContent = total === 0
        ? "No incident matches" + (query ? " “" + query + "”" : "") + "."
        : total + " incident" + (total === 1 ? "" : "s") +
          (total > shown ? ", showing the first " + shown : "") +
          " (" + elapsed.toFixed(1) + " ms)" +
          (partial ? ". No incident matches every word; these match some of them." : "");
      list.dataset.ms = elapsed.toFixed(2);
    }

    function chip(parent, text, kind) {
      var element = document.createElement("span");
      element.className = "pm-chip pm-chip--" + kind;
      element.textContent = text;
      parent.appendChild(element);
    }

    function run() {
      var started = performance.now();
      var query = input.value.trim();
      var filters = chosen();
      var found;
      var partial = false;
      if (query) {
        // Every word first, as the command line does; else incidents matching some words.
        var options = {
          filter: function (result) { return accepts(docs[result.id], filters); },
        };
        found = search.search(expand(query, synonyms, "AND"), options);
        if (found.length === 0) {
          found = search.search(expand(query, synonyms, "OR"), options);
          partial = found.length > 0;
        }
      } else if (Object.keys(filters).length) {
        found = docs.filter(function (doc) { return accepts(doc, filters); })
          .map(function (doc) { return { id: doc.id, terms: [] }; });
      } else {
        list.textContent = "";
        status.textContent = docs.length + " incidents. Type to search their root causes.";
        return;
      }
      draw(found, found.length, performance.now() - started, query, partial);
    }

    input.disabled = false;
    input.addEventListener("input", run);
    var initial = new URLSearchParams(window.location.search).get("query");
    if (initial) input.value = initial;
    run();
    root.dataset.ready = "true";
  }

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

  load(root.dataset.index)
    .then(init)
    .catch(function (error) {
      status.textContent = "The search data could not be loaded (" + error.message + ").";
    });
})();

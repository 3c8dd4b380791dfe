/* Sort and filter the incident catalog. The table is complete without this script. With it,
   rows are read once into plain objects; sorting and filtering work on those, and the table
   body holds only the first PAGE matching rows (a button shows more), because laying out a
   10,000-row table costs seconds while the filtering itself takes milliseconds. Filter state
   lives in the query string, so a filtered view is a link. */
(function () {
  "use strict";

  var FACETS = ["severity", "service", "tag", "category", "year"];
  var PARAMS = ["q"].concat(FACETS, ["sort", "dir"]);
  var PAGE = 250;

  function parseList(value) {
    // Values are single lines (the format forbids line breaks), joined with newlines.
    return value ? value.split("\n") : [];
  }

  function readRows(tbody, headers) {
    var rows = Array.prototype.slice.call(tbody.rows);
    return rows.map(function (el, index) {
      var d = el.dataset;
      var texts = [];
      var keys = headers.map(function (th, column) {
        var cell = el.cells[column];
        if (!cell) return "";
        var type = th.dataset.sort;
        var text = cell.textContent;
        texts.push(text);
        var raw = cell.dataset.value !== undefined ? cell.dataset.value : text;
        if (type === "number") return raw === "" ? null : Number(raw);
        return type === "date" ? raw.trim() : raw.trim().toLocaleLowerCase();
      });
      var link = el.querySelector("a");
      var tags = parseList(d.tags);
      var words = texts.concat(tags, [d.trigger || "", link ? link.getAttribute("href") : ""]);
      return {
        el: el,
        index: index,
        keys: keys,
        severity: d.severity || "",
        year: d.year || "",
        service: parseList(d.services),
        tag: tags,
        category: parseList(d.categories),
        text: words.join(" ").replace(/\s+/g, " ").toLocaleLowerCase(),
      };
    });
  }

  function matches(row, state, words) {
    for (var i = 0; i < FACETS.length; i++) {
      var name = FACETS[i];
      var wanted = state[name];
      if (!wanted) continue;
      var have = row[name];
      if (Array.isArray(have) ? have.indexOf(wanted) < 0 : have !== wanted) return false;
    }
    for (var j = 0; j < words.length; j++) {
      if (row.text.indexOf(words[j]) < 0) return false;
    }
    return true;
  }

  function compare(column, direction) {
    var sign = direction === "ascending" ? 1 : -1;
    return function (a, b) {
      var x = a.keys[column];
      var y = b.keys[column];
      // Unknown values (no resolve time) sort last whichever the direction.
      if (x === null || y === null) {
        if (x === y) return a.index - b.index;
        return x === null ? 1 : -1;
      }
      if (x < y) return -sign;
      if (x > y) return sign;
      return a.index - b.index;
    };
  }

  function init(root) {
    var started = window.performance.now();
    var form = root.querySelector(".pm-filters");
    var table = root.querySelector("table");
    var tbody = table.tBodies[0];
    var count = root.querySelector("[data-pm-count]");
    var total = root.querySelector("[data-pm-total]");
    var more = root.querySelector(".pm-catalog__more");
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var rows = readRows(tbody, headers);
    var ordered = rows;
    var matched = rows;
    var limit = PAGE;
    var state = {};
    var timer = null;

    function readUrl() {
      var params = new URLSearchParams(window.location.search);
      PARAMS.forEach(function (name) {
        state[name] = params.get(name) || "";
      });
    }

    function writeUrl() {
      var params = new URLSearchParams(window.location.search);
      PARAMS.forEach(function (name) {
        if (state[name]) params.set(name, state[name]);
        else params.delete(name);
      });
      var query = params.toString();
      var url = window.location.pathname + (query ? "?" + query : "") + window.location.hash;
      window.history.replaceState(window.history.state, "", url);
    }

    function showState() {
      form.elements.q.value = state.q;
      FACETS.forEach(function (name) {
        var select = form.elements[name];
        select.value = state[name];
        if (select.value !== state[name]) {
          // A value from a shared link that this build does not have: keep it selectable.
          var option = document.createElement("option");
          option.value = state[name];
          option.textContent = state[name];
          select.appendChild(option);
          select.value = state[name];
        }
      });
      var key = state.sort || "date";
      headers.forEach(function (th) {
        if (th.dataset.key === key) th.setAttribute("aria-sort", direction());
        else th.removeAttribute("aria-sort");
      });
    }

    function direction() {
      return state.dir === "asc" ? "ascending" : "descending";
    }

    function filter() {
      var words = state.q.toLocaleLowerCase().split(/\s+/).filter(Boolean);
      matched = ordered.filter(function (row) {
        return matches(row, state, words);
      });
      count.textContent = String(matched.length);
      total.textContent = String(rows.length);
    }

    function sort() {
      var key = state.sort || "date";
      var column = headers.findIndex(function (th) { return th.dataset.key === key; });
      if (column < 0) return;
      ordered = rows.slice().sort(compare(column, direction()));
    }

    function render() {
      var fragment = document.createDocumentFragment();
      var shown = Math.min(limit, matched.length);
      for (var i = 0; i < shown; i++) fragment.appendChild(matched[i].el);
      tbody.replaceChildren(fragment);
      var rest = matched.length - shown;
      more.hidden = rest <= 0;
      more.querySelector("[data-pm-more]").textContent =
        "Show " + Math.min(PAGE, rest) + " more";
      more.querySelector("[data-pm-all]").textContent = "Show all " + matched.length;
    }

    function update(resort) {
      if (resort) sort();
      filter();
      limit = PAGE;
      render();
      showState();
      writeUrl();
    }

    more.querySelector("[data-pm-more]").addEventListener("click", function () {
      limit += PAGE;
      render();
    });
    more.querySelector("[data-pm-all]").addEventListener("click", function () {
      limit = matched.length;
      render();
    });

    headers.forEach(function (th) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "pm-sort";
      while (th.firstChild) button.appendChild(th.firstChild);
      th.appendChild(button);
      button.addEventListener("click", function () {
        var current = th.getAttribute("aria-sort");
        state.sort = th.dataset.key;
        state.dir = current === "ascending" ? "desc" : "asc";
        update(true);
      });
    });

    form.addEventListener("input", function (event) {
      var target = event.target;
      if (!target || !target.name) return;
      state[target.name] = target.value;
      window.clearTimeout(timer);
      // Typing is debounced; a select change applies at once.
      if (target.name === "q") timer = window.setTimeout(function () { update(false); }, 120);
      else update(false);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
    form.addEventListener("reset", function () {
      window.setTimeout(function () {
        FACETS.concat(["q"]).forEach(function (name) {
          state[name] = "";
        });
        update(false);
      }, 0);
    });

    readUrl();
    if (!state.sort && state.dir !== "asc") state.dir = "";
    form.hidden = false;
    if (state.sort || state.dir === "asc") sort();
    update(false);
    // How long the script took to take over the table, for anyone measuring it.
    root.setAttribute("data-pm-ready", String(Math.round(window.performance.now() - started)));
  }

  function start() {
    var roots = document.querySelectorAll("[data-pm-catalog]");
    for (var i = 0; i < roots.length; i++) {
      try {
        init(roots[i]);
      } catch (error) {
        // Show the plain, complete table rather than a first page that cannot grow.
        roots[i].setAttribute("data-pm-ready", "failed");
        throw error;
      }
    }
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

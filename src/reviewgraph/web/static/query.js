/* The query page: examples, running a query, the results table, downloads and share links. */
(function () {
  "use strict";

  function data(id) { return JSON.parse(document.getElementById(id).textContent); }

  var examples = data("examples-data");
  var prefixes = data("prefixes-data");
  var settings = data("settings-data");
  var textarea = document.getElementById("query");
  var editor = new window.SparqlEditor(textarea, document.getElementById("highlight"),
    document.getElementById("completions"), prefixes);
  var form = document.getElementById("query-form");
  var status = document.getElementById("status");
  var results = document.getElementById("results");
  var share = document.getElementById("share");
  var downloads = document.getElementById("downloads");

  var XSD_STRING = "http://www.w3.org/2001/XMLSchema#string";
  var RESULT_FORMATS = [["json", "JSON"], ["xml", "XML"], ["csv", "CSV"], ["tsv", "TSV"]];
  var GRAPH_FORMATS = [["turtle", "Turtle"], ["ntriples", "N-Triples"], ["jsonld", "JSON-LD"],
    ["rdfxml", "RDF/XML"]];

  // SELECT/ASK or CONSTRUCT/DESCRIBE: the first keyword after the prologue and comments.
  function queryForm(text) {
    var stripped = text.replace(/#[^\n]*/g, " ").replace(/<[^>\s]*>/g, " ")
      .replace(/\b(PREFIX|BASE)\b[^\n]*/gi, " ");
    var match = /\b(SELECT|ASK|CONSTRUCT|DESCRIBE)\b/i.exec(stripped);
    return match ? match[1].toUpperCase() : "SELECT";
  }

  function queryUrl(text, format) {
    var params = new URLSearchParams({ query: text });
    if (format) { params.set("format", format); }
    return settings.endpoint + "?" + params.toString();
  }

  // Where an IRI links to: the graph's own IRIs (entities under the base IRI, ontology
  // terms) to this site's pages, wherever it runs (the server gives the prefixes, root-
  // relative); any other IRI to itself.
  function entityHref(iri) {
    var found = null;
    Object.keys(settings.pagePrefixes).forEach(function (prefix) {
      if (iri.indexOf(prefix) === 0 && (!found || prefix.length > found.length)) { found = prefix; }
    });
    return found === null ? iri : settings.pagePrefixes[found] + iri.slice(found.length);
  }

  function compact(iri) {
    var best = null;
    Object.keys(prefixes).forEach(function (name) {
      var ns = prefixes[name];
      if (iri.indexOf(ns) === 0 && (!best || ns.length > prefixes[best].length)) { best = name; }
    });
    if (best) { return best + ":" + iri.slice(prefixes[best].length); }
    if (iri.indexOf(settings.baseIri) === 0) { return iri.slice(settings.baseIri.length); }
    return iri;
  }

  function cell(term) {
    var td = document.createElement("td");
    if (!term) { return td; }
    if (term.type === "uri") {
      var link = document.createElement("a");
      link.href = entityHref(term.value);
      link.textContent = compact(term.value);
      link.title = term.value;
      td.appendChild(link);
    } else if (term.type === "literal") {
      // The value as people read it; its language or datatype on hover, never in the cell.
      td.textContent = term.value;
      var note = term["xml:lang"] ? "Language: " + term["xml:lang"]
        : term.datatype ? "Datatype: " + compact(term.datatype) : "";
      if (note) { td.title = note; }
    } else {
      td.textContent = (term.type === "bnode" ? "_:" : "") + (term.value.value || term.value);
    }
    return td;
  }

  // A box that scrolls by itself (wide results never widen the page), reachable by keyboard.
  function resultBox(content, label) {
    var box = document.createElement("div");
    box.className = "result-box";
    box.tabIndex = 0;
    box.setAttribute("role", "region");
    box.setAttribute("aria-label", label);
    box.appendChild(content);
    return box;
  }

  function renderTable(document_, noun) {
    var table = document.createElement("table");
    var caption = document.createElement("caption");
    var rows = document_.results.bindings;
    noun = noun || "result";
    caption.textContent = rows.length.toLocaleString("en-GB") + " " + noun +
      (rows.length === 1 ? "" : "s");
    table.appendChild(caption);
    var head = table.createTHead().insertRow();
    document_.head.vars.forEach(function (name) {
      var th = document.createElement("th");
      th.scope = "col";
      th.textContent = name;
      head.appendChild(th);
    });
    var body = table.createTBody();
    rows.forEach(function (binding) {
      var row = body.insertRow();
      document_.head.vars.forEach(function (name) { row.appendChild(cell(binding[name])); });
    });
    return table;
  }

  // A graph result arrives as N-Triples and is shown as a table of triples, its terms shown
  // as SELECT results are (the site's own links, literals for people). A line this cannot
  // read (an RDF-star quoted triple) shows the whole answer as text instead.
  var NT_TERM = /\s*(?:<([^<>"{}|^`\\\s]*)>|_:(\S+)|"((?:[^"\\]|\\.)*)"(?:@([A-Za-z0-9-]+)|\^\^<([^>]*)>)?)/y;
  var NT_ESCAPES = { t: "\t", b: "\b", n: "\n", r: "\r", f: "\f" };

  function unescapeNt(text) {
    return text.replace(/\\(?:u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))/g,
      function (whole, short, long, other) {
        if (short || long) { return String.fromCodePoint(parseInt(short || long, 16)); }
        return NT_ESCAPES[other] || other;
      });
  }

  function ntTerm(match) {
    if (match[1] !== undefined) { return { type: "uri", value: unescapeNt(match[1]) }; }
    if (match[2] !== undefined) { return { type: "bnode", value: match[2] }; }
    var term = { type: "literal", value: unescapeNt(match[3]) };
    if (match[4]) { term["xml:lang"] = match[4]; }
    if (match[5] && match[5] !== XSD_STRING) { term.datatype = match[5]; }
    return term;
  }

  function parseNTriples(body) {
    var bindings = [];
    var lines = body.split("\n");
    for (var index = 0; index < lines.length; index += 1) {
      var line = lines[index].trim();
      if (!line || line.charAt(0) === "#") { continue; }
      NT_TERM.lastIndex = 0;
      var terms = [];
      for (var position = 0; position < 3; position += 1) {
        var match = NT_TERM.exec(line);
        if (!match) { return null; }
        terms.push(ntTerm(match));
      }
      if (!/^\s*\.\s*$/.test(line.slice(NT_TERM.lastIndex))) { return null; }
      bindings.push({ subject: terms[0], predicate: terms[1], object: terms[2] });
    }
    return { head: { vars: ["subject", "predicate", "object"] }, results: { bindings: bindings } };
  }

  function setDownloads(text, graph) {
    downloads.innerHTML = "Download: ";
    (graph ? GRAPH_FORMATS : RESULT_FORMATS).forEach(function (entry, index) {
      var link = document.createElement("a");
      link.href = queryUrl(text, entry[0]);
      link.textContent = entry[1];
      link.setAttribute("download", "results." + entry[0]);
      if (index) { downloads.appendChild(document.createTextNode(" · ")); }
      downloads.appendChild(link);
    });
  }

  function run() {
    var text = editor.value();
    if (!text.trim()) {
      status.textContent = "Write a query first, or pick an example.";
      return;
    }
    var graph = /^(CONSTRUCT|DESCRIBE)$/.test(queryForm(text));
    share.href = queryUrl(text);
    window.history.replaceState(null, "", queryUrl(text));
    setDownloads(text, graph);
    status.textContent = "Running…";
    results.innerHTML = "";
    var started = performance.now();
    fetch(settings.endpoint, {
      method: "POST",
      headers: { "Content-Type": "application/sparql-query",
        "Accept": graph ? "application/n-triples" : "application/sparql-results+json" },
      body: text
    }).then(function (response) {
      return response.text().then(function (body) { return [response, body]; });
    }).then(function (pair) {
      var response = pair[0];
      var body = pair[1];
      var seconds = ((performance.now() - started) / 1000).toFixed(2);
      if (!response.ok) {
        status.textContent = "The query was not run (" + response.status + "): " + body;
        return;
      }
      var truncated = response.headers.get("ReviewGraph-Truncated");
      status.textContent = "Answered in " + seconds + " s." + (truncated
        ? " Only the first results are shown: the row limit was reached (" + truncated +
          "). Add LIMIT and OFFSET to page through the rest." : "");
      if (graph) {
        var triples = parseNTriples(body);
        if (triples) {
          results.appendChild(resultBox(renderTable(triples, "triple"), "Results"));
        } else {
          var pre = document.createElement("pre");
          pre.className = "graph";
          pre.textContent = body;
          results.appendChild(resultBox(pre, "Results (N-Triples)"));
        }
        return;
      }
      var parsed = JSON.parse(body);
      if (typeof parsed.boolean === "boolean") {
        var answer = document.createElement("p");
        answer.className = "boolean";
        answer.textContent = parsed.boolean ? "Yes (true)" : "No (false)";
        results.appendChild(answer);
      } else {
        results.appendChild(resultBox(renderTable(parsed), "Results"));
      }
    }).catch(function (error) {
      status.textContent = "The server could not be reached: " + error.message;
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    run();
  });

  document.querySelectorAll("button.example").forEach(function (button) {
    button.addEventListener("click", function () {
      var name = button.dataset.name;
      var example = examples.filter(function (e) { return e.name === name; })[0];
      editor.setValue(example.text);
      run();
      textarea.focus();
    });
  });

  share.addEventListener("click", function (event) {
    if (!editor.value().trim()) { event.preventDefault(); }
  });

  if (editor.value().trim()) { run(); }
}());

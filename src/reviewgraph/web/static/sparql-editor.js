/* A small SPARQL editor: syntax highlighting and prefix completion over a plain <textarea>.
 *
 * Written for ReviewGraph (no third-party code, works offline). The textarea stays the real
 * input (so forms, accessibility tools and the browser's undo all work); a <pre> behind it
 * shows the same text highlighted. Completion offers known prefixes for the word being typed
 * and adds the PREFIX declaration a completed prefix needs.
 */
(function () {
  "use strict";

  var KEYWORDS = ("SELECT ASK CONSTRUCT DESCRIBE WHERE FROM NAMED PREFIX BASE DISTINCT REDUCED " +
    "OPTIONAL FILTER UNION MINUS GRAPH BIND VALUES GROUP BY HAVING ORDER ASC DESC LIMIT " +
    "OFFSET AS NOT EXISTS IN SERVICE SILENT UNDEF COUNT SUM MIN MAX AVG SAMPLE GROUP_CONCAT " +
    "SEPARATOR STR LANG LANGMATCHES DATATYPE BOUND IRI URI BNODE RAND ABS CEIL FLOOR ROUND " +
    "CONCAT STRLEN UCASE LCASE ENCODE_FOR_URI CONTAINS STRSTARTS STRENDS STRBEFORE STRAFTER " +
    "YEAR MONTH DAY HOURS MINUTES SECONDS TIMEZONE TZ NOW UUID STRUUID MD5 SHA1 SHA256 SHA384 " +
    "SHA512 COALESCE IF STRLANG STRDT SAMETERM ISIRI ISURI ISBLANK ISLITERAL ISNUMERIC REGEX " +
    "SUBSTR REPLACE TRUE FALSE A").split(" ");
  var KEYWORD_SET = {};
  KEYWORDS.forEach(function (k) { KEYWORD_SET[k] = true; });

  // One alternation, tried in order at each position: the same reading as the server's.
  var TOKEN = new RegExp([
    "(\\s+)",                                              // 1 space
    "(#[^\\n\\r]*)",                                       // 2 comment
    "(\"\"\"[\\s\\S]*?\"\"\"|'''[\\s\\S]*?'''|\"(?:[^\"\\\\\\n\\r]|\\\\.)*\"?|'(?:[^'\\\\\\n\\r]|\\\\.)*'?)", // 3 string
    "(<[^<>\"{}|^`\\\\\\x00-\\x20]*>)",                   // 4 IRI
    "([?$][A-Za-z0-9_\\u00B7\\u00C0-\\uFFFF]*)",           // 5 variable
    "((?:[A-Za-z\\u00C0-\\uFFFF][\\w.\\-]*)?:(?:[\\w\\-:.%]|\\\\.)*)", // 6 prefixed name
    "(_:[\\w.\\-]*)",                                      // 7 blank node
    "([A-Za-z_][\\w]*)",                                   // 8 word
    "([+-]?(?:\\d+\\.?\\d*(?:[eE][+-]?\\d+)?|\\.\\d+))",   // 9 number
    "([\\s\\S])"                                           // 10 anything else
  ].join("|"), "g");
  var CLASSES = [null, null, "tok-comment", "tok-string", "tok-iri", "tok-var", "tok-pname",
    "tok-bnode", null, "tok-number", "tok-punct"];

  function escapeHtml(text) {
    return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  }

  function highlight(text) {
    var html = "";
    var match;
    TOKEN.lastIndex = 0;
    while ((match = TOKEN.exec(text)) !== null) {
      var group = 1;
      while (group < match.length && match[group] === undefined) { group++; }
      var token = match[0];
      var cls = CLASSES[group];
      if (group === 8) {
        cls = KEYWORD_SET[token.toUpperCase()] ? "tok-keyword" : "tok-word";
      }
      html += cls ? '<span class="' + cls + '">' + escapeHtml(token) + "</span>"
        : escapeHtml(token);
    }
    return html + "\n"; // a trailing newline keeps the last line's height
  }

  function declaredPrefixes(text) {
    var declared = {};
    var re = /PREFIX\s+([A-Za-z][\w.\-]*)?:/gi;
    var match;
    while ((match = re.exec(text)) !== null) { declared[match[1] || ""] = true; }
    return declared;
  }

  function SparqlEditor(textarea, code, list, prefixes) {
    this.textarea = textarea;
    this.code = code;
    this.list = list;
    this.prefixes = prefixes;
    this.suggestions = [];
    this.selected = 0;
    var self = this;
    textarea.addEventListener("input", function () { self.refresh(); self.suggest(); });
    textarea.addEventListener("scroll", function () { self.syncScroll(); });
    textarea.addEventListener("keydown", function (event) { self.onKey(event); });
    textarea.addEventListener("blur", function () {
      window.setTimeout(function () { self.close(); }, 150);
    });
    list.addEventListener("mousedown", function (event) {
      var item = event.target.closest("li");
      if (item) {
        event.preventDefault();
        self.accept(Number(item.dataset.index));
      }
    });
    this.refresh();
  }

  SparqlEditor.prototype.value = function () { return this.textarea.value; };

  SparqlEditor.prototype.setValue = function (text) {
    this.textarea.value = text;
    this.refresh();
    this.close();
  };

  SparqlEditor.prototype.refresh = function () {
    this.code.innerHTML = highlight(this.textarea.value);
    this.syncScroll();
  };

  SparqlEditor.prototype.syncScroll = function () {
    this.code.parentNode.scrollTop = this.textarea.scrollTop;
    this.code.parentNode.scrollLeft = this.textarea.scrollLeft;
  };

  // The word being typed at the caret, and whether it follows "PREFIX".
  SparqlEditor.prototype.context = function () {
    var text = this.textarea.value;
    var caret = this.textarea.selectionStart;
    var before = text.slice(0, caret);
    var match = /([A-Za-z][\w\-]*)$/.exec(before);
    if (!match || /[?$:<"'#\w]$/.test(before.slice(0, caret - match[1].length))) {
      return null;
    }
    var afterPrefix = /PREFIX\s+$/i.test(before.slice(0, caret - match[1].length));
    return { word: match[1], start: caret - match[1].length, end: caret,
      afterPrefix: afterPrefix };
  };

  SparqlEditor.prototype.suggest = function () {
    var context = this.context();
    this.suggestions = [];
    if (context) {
      var word = context.word.toLowerCase();
      var names = Object.keys(this.prefixes).sort();
      for (var i = 0; i < names.length; i++) {
        if (names[i].indexOf(word) === 0 && names[i] !== word) {
          this.suggestions.push({ name: names[i], context: context });
        }
      }
    }
    this.selected = 0;
    this.render();
  };

  SparqlEditor.prototype.render = function () {
    var list = this.list;
    list.innerHTML = "";
    if (!this.suggestions.length) {
      this.close();
      return;
    }
    var self = this;
    this.suggestions.forEach(function (suggestion, index) {
      var item = document.createElement("li");
      item.id = "completion-" + index;
      item.setAttribute("role", "option");
      item.dataset.index = index;
      item.setAttribute("aria-selected", index === self.selected ? "true" : "false");
      item.innerHTML = "<b>" + escapeHtml(suggestion.name) + ":</b> <span>" +
        escapeHtml(self.prefixes[suggestion.name]) + "</span>";
      list.appendChild(item);
    });
    list.hidden = false;
    this.textarea.setAttribute("aria-activedescendant", "completion-" + this.selected);
  };

  SparqlEditor.prototype.close = function () {
    this.suggestions = [];
    this.list.hidden = true;
    this.textarea.removeAttribute("aria-activedescendant");
  };

  SparqlEditor.prototype.onKey = function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      this.close();
      this.textarea.form.requestSubmit();
      return;
    }
    if (!this.suggestions.length) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      this.selected = (this.selected + step + this.suggestions.length) % this.suggestions.length;
      this.render();
    } else if (event.key === "Tab") {
      event.preventDefault();
      this.accept(this.selected);
    } else if (event.key === "Escape") {
      this.close();
    }
  };

  SparqlEditor.prototype.accept = function (index) {
    var suggestion = this.suggestions[index];
    if (!suggestion) { return; }
    var context = suggestion.context;
    var iri = this.prefixes[suggestion.name];
    var text = this.textarea.value;
    var insert = context.afterPrefix ? suggestion.name + ": <" + iri + ">" : suggestion.name + ":";
    text = text.slice(0, context.start) + insert + text.slice(context.end);
    var caret = context.start + insert.length;
    if (!context.afterPrefix && !declaredPrefixes(text)[suggestion.name]) {
      var declaration = "PREFIX " + suggestion.name + ": <" + iri + ">\n";
      text = declaration + text;
      caret += declaration.length;
    }
    this.textarea.value = text;
    this.textarea.setSelectionRange(caret, caret);
    this.close();
    this.refresh();
    this.textarea.focus();
  };

  window.SparqlEditor = SparqlEditor;
  window.SparqlEditor.highlight = highlight;
}());

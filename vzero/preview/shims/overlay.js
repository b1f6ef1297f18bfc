// Error overlay of the offline preview (a classic script, loaded first): shows build errors embedded in
// the page and run-time errors, and POSTs each one to ./__errors as {message, stack, source}.
(function () {
  "use strict";
  // Next.js gives client code a `process` global; npm packages written for it read process.env and friends.
  if (typeof window.process === "undefined") {
    window.process = {
      env: { NODE_ENV: "production" }, browser: true, version: "", versions: {}, platform: "browser", argv: [],
      nextTick: function (fn) { var args = [].slice.call(arguments, 1); queueMicrotask(function () { fn.apply(null, args); }); },
      cwd: function () { return "/"; }, on: function () {}, off: function () {}, emit: function () {},
    };
  }
  var MAX_REPORTS = 20;
  var sent = 0;
  var seen = {};
  var panel = null;
  var list = null;

  function post(payload) {
    var key = payload.source + "\n" + payload.message;
    if (seen[key] || sent >= MAX_REPORTS) return;
    seen[key] = true;
    sent += 1;
    try {
      fetch("./__errors", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload),
        keepalive: true,
      }).catch(function () {});
    } catch (e) {}
  }

  function css(el, styles) {
    for (var k in styles) el.style[k] = styles[k];
    return el;
  }

  function ensurePanel() {
    if (panel) return;
    panel = css(document.createElement("div"), {
      position: "fixed", left: "0", right: "0", bottom: "0", maxHeight: "60vh", overflow: "auto",
      zIndex: "2147483647", background: "#1f1f1f", color: "#f5f5f5", borderTop: "3px solid #ef4444",
      font: "13px/1.5 ui-monospace, SFMono-Regular, Menlo, monospace", boxShadow: "0 -8px 24px rgba(0,0,0,.3)",
    });
    panel.id = "vzero-error-overlay";
    panel.setAttribute("role", "alert");
    var bar = css(document.createElement("div"), {
      display: "flex", justifyContent: "space-between", alignItems: "center", padding: "8px 12px",
      background: "#2a2a2a", position: "sticky", top: "0",
    });
    var title = document.createElement("strong");
    title.textContent = "Preview errors";
    var close = css(document.createElement("button"), {
      background: "transparent", color: "#f5f5f5", border: "1px solid #555", borderRadius: "4px",
      cursor: "pointer", padding: "2px 8px", font: "inherit",
    });
    close.type = "button";
    close.textContent = "Dismiss";
    close.addEventListener("click", function () {
      panel.style.display = "none";
    });
    bar.appendChild(title);
    bar.appendChild(close);
    list = document.createElement("div");
    panel.appendChild(bar);
    panel.appendChild(list);
    (document.body || document.documentElement).appendChild(panel);
  }

  function show(kind, text) {
    var attach = function () {
      ensurePanel();
      panel.style.display = "block";
      var item = css(document.createElement("div"), { padding: "10px 12px", borderBottom: "1px solid #333" });
      var head = css(document.createElement("div"), { color: "#f87171", fontWeight: "bold" });
      head.textContent = kind;
      var body = css(document.createElement("pre"), { margin: "4px 0 0", whiteSpace: "pre-wrap", wordBreak: "break-word" });
      body.textContent = text;
      item.appendChild(head);
      item.appendChild(body);
      list.appendChild(item);
    };
    if (document.body) attach();
    else document.addEventListener("DOMContentLoaded", attach);
  }

  function report(source, error, extra) {
    var message = error && error.message ? String(error.message) : String(error);
    var stack = error && error.stack ? String(error.stack) : "";
    if (extra) stack += (stack ? "\n" : "") + String(extra);
    post({ message: message, stack: stack, source: source });
    show(source === "build" ? "Build error" : "Runtime error", message + (stack ? "\n\n" + stack : ""));
  }

  window.__vzero = { report: report };

  window.addEventListener("error", function (event) {
    if (event.message === "Script error." && !event.error) return; // opaque: nothing to show
    report("window", event.error || event.message || "Unknown error");
  });
  window.addEventListener("unhandledrejection", function (event) {
    report("promise", event.reason || "Unhandled promise rejection");
  });

  function buildErrors() {
    var el = document.getElementById("vzero-build-errors");
    if (!el) return;
    var errors;
    try {
      errors = JSON.parse(el.textContent || "[]");
    } catch (e) {
      return;
    }
    errors.forEach(function (err) {
      var where = err.file ? err.file + (err.line ? ":" + err.line + ":" + err.column : "") : "";
      var message = (where ? where + ": " : "") + err.message;
      post({ message: message, stack: err.text || "", source: "build" });
      show("Build error", message + (err.text ? "\n\n    " + err.text : ""));
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", buildErrors);
  else buildErrors();
})();

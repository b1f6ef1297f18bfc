// The preview's half of the workspace bridge (the workspace frames this page): it tells the workspace about the
// page's errors and route changes, and takes "reload" and "navigate" from it. Messages go only to the workspace's
// origin, and only messages from the framing window at that origin are taken. Served as ./__bridge.js with the
// workspace's origin filled in; does nothing when the page is not framed.
(function () {
  "use strict";
  var WORKSPACE = "__VZERO_WORKSPACE_ORIGIN__";
  var workspace = window.parent;
  if (!workspace || workspace === window) return;

  // The workspace shows the page's errors in its own panel: the page's overlay would only cover the app.
  try {
    var style = document.createElement("style");
    style.textContent = "#vzero-error-overlay{display:none!important}";
    (document.head || document.documentElement).appendChild(style);
  } catch (e) {}

  var sent = 0;
  function send(message) {
    message.vzero = 1;
    try {
      workspace.postMessage(message, WORKSPACE);
    } catch (e) {}
  }

  function error(source, value, extra) {
    if (sent >= 50) return;
    sent += 1;
    var message = value && value.message ? String(value.message) : String(value);
    var stack = value && value.stack ? String(value.stack) : "";
    if (extra) stack += (stack ? "\n" : "") + String(extra);
    send({ type: "vzero:error", error: { source: source, message: message.slice(0, 2000), stack: stack.slice(0, 8000) } });
  }

  // What the preview's runtime reports itself (React render errors) goes through window.__vzero.report, which
  // the error overlay installs after this script: forward those too.
  var hook = null;
  try {
    Object.defineProperty(window, "__vzero", {
      configurable: true,
      get: function () {
        return hook;
      },
      set: function (value) {
        if (value && typeof value.report === "function" && !value.report.__bridged) {
          var report = value.report;
          value.report = function (source, value2, extra) {
            if (source !== "window" && source !== "promise") error(String(source), value2, extra);
            return report.apply(this, arguments);
          };
          value.report.__bridged = true;
        }
        hook = value;
      },
    });
  } catch (e) {}

  window.addEventListener("error", function (event) {
    if (event.message === "Script error." && !event.error) return;
    error("window", event.error || event.message || "Unknown error");
  });
  window.addEventListener("unhandledrejection", function (event) {
    error("promise", event.reason || "Unhandled promise rejection");
  });

  function buildErrors() {
    var el = document.getElementById("vzero-build-errors");
    if (!el) return;
    try {
      JSON.parse(el.textContent || "[]").forEach(function (err) {
        var where = err.file ? err.file + (err.line ? ":" + err.line + ":" + err.column : "") : "";
        error("build", (where ? where + ": " : "") + err.message, err.text || "");
      });
    } catch (e) {}
  }

  // The preview's router keeps the app's route in the hash ("#/about?x=1").
  function route() {
    var hash = location.hash;
    return hash.indexOf("#/") === 0 ? hash.slice(1) : "/";
  }
  var last = null;
  function announce() {
    var now = route();
    if (now === last) return;
    last = now;
    send({ type: "vzero:route", path: now, title: document.title });
  }
  window.addEventListener("hashchange", announce);

  window.addEventListener("message", function (event) {
    if (event.source !== workspace || event.origin !== WORKSPACE) return;
    var data = event.data;
    if (!data || typeof data !== "object" || data.vzero !== 1) return;
    if (data.type === "vzero:reload") {
      location.reload();
    } else if (data.type === "vzero:navigate" && typeof data.path === "string" && data.path.charAt(0) === "/") {
      location.hash = "#" + data.path;
    }
  });

  function ready() {
    buildErrors();
    announce();
    send({ type: "vzero:ready", path: route(), title: document.title });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", ready);
  else ready();
})();

// Tailwind CSS in the preview page: Tailwind's own compiler (v4, with its v3 compatibility layer) turns the
// app's stylesheet into CSS for the classes the page uses, as @tailwindcss/browser does, and also takes the
// app's tailwind.config and plugins (bundled with the app, so they run here, in the page, never on the server).
// The stylesheet comes from <script type="text/tailwindcss">: a <style> would make the browser fetch its
// @import "tailwindcss" as a URL.
import { compile } from "tailwindcss";
import indexCss from "vzero-text:tailwindcss/index.css";
import preflightCss from "vzero-text:tailwindcss/preflight.css";
import themeCss from "vzero-text:tailwindcss/theme.css";
import utilitiesCss from "vzero-text:tailwindcss/utilities.css";

const SOURCE = 'script[type="text/tailwindcss"], style[type="text/tailwindcss"]';
const SHEETS = {
  tailwindcss: indexCss,
  "tailwindcss/index": indexCss,
  "tailwindcss/index.css": indexCss,
  "tailwindcss/preflight": preflightCss,
  "tailwindcss/preflight.css": preflightCss,
  "./preflight.css": preflightCss,
  "tailwindcss/theme": themeCss,
  "tailwindcss/theme.css": themeCss,
  "./theme.css": themeCss,
  "tailwindcss/utilities": utilitiesCss,
  "tailwindcss/utilities.css": utilitiesCss,
  "./utilities.css": utilitiesCss,
};

const output = document.createElement("style");
output.setAttribute("data-vzero-tailwind", "");
const classes = new Set();
let compiler = null;
let lastSource = null;
let queue = Promise.resolve();
let modules = {};
let registered;
const modulesReady = new Promise((resolve) => {
  registered = resolve;
});

/** Called by the app's entry before it renders: its tailwind.config and the plugins its CSS names. */
export function registerTailwind({ config, plugins } = {}) {
  modules = { config: config ?? null, plugins: plugins ?? {} };
  registered();
}

function report(error) {
  const hook = window.__vzero;
  if (hook && typeof hook.report === "function") hook.report("window", error);
  else console.error(error);
}

async function loadStylesheet(id, base) {
  const content = SHEETS[id];
  if (content === undefined) throw new Error(`@import "${id}" is not available in the preview's Tailwind`);
  return { path: `virtual:${id}`, base, content };
}

async function loadModule(id, base, kind) {
  if (kind === "config") {
    if (!modules.config) throw new Error(`the Tailwind config "${id}" was not bundled with the app`);
    return { path: id, base, module: modules.config };
  }
  const plugin = (modules.plugins || {})[id];
  if (plugin === undefined) throw new Error(`the Tailwind plugin "${id}" was not bundled with the app`);
  return { path: id, base, module: plugin };
}

function sourceText() {
  let text = "";
  for (const element of document.querySelectorAll(SOURCE)) text += element.textContent + "\n";
  return text.includes("@import") ? text : `@import "tailwindcss";\n${text}`;
}

async function needsModules() {
  const wanted = [...document.querySelectorAll(SOURCE)].some((el) => el.hasAttribute("data-modules"));
  if (wanted) await modulesReady;
}

async function rebuild(full) {
  if (full) {
    const source = sourceText();
    if (source !== lastSource) {
      lastSource = source;
      await needsModules();
      compiler = await compile(source, { base: "/", loadStylesheet, loadModule });
      classes.clear();
    }
  }
  if (!compiler) return;
  const fresh = [];
  for (const element of document.querySelectorAll("[class]")) {
    for (const name of element.classList) {
      if (!classes.has(name)) {
        classes.add(name);
        fresh.push(name);
      }
    }
  }
  if (fresh.length || full) output.textContent = compiler.build(fresh);
}

function schedule(full) {
  queue = queue.then(() => rebuild(full)).catch(report);
}

new MutationObserver((records) => {
  let full = false;
  let incremental = false;
  for (const record of records) {
    if (record.type === "attributes") incremental = true;
    for (const node of record.addedNodes) {
      if (node.nodeType !== 1 || node === output) continue;
      if (node.matches && node.matches(SOURCE)) full = true;
      else incremental = true;
    }
  }
  if (full || incremental) schedule(full);
}).observe(document.documentElement, { attributes: true, attributeFilter: ["class"], childList: true, subtree: true });

document.head.append(output);
schedule(true);

// What the vendor, app and package builds share: paths, names, esbuild messages, module formats, assets.
import { createRequire, builtinModules } from "node:module";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";

export const [runtimeDir, shimsDir] = process.argv.slice(2).map((p) => path.resolve(p));
export const nodeModules = path.join(runtimeDir, "node_modules");
export const requireRt = createRequire(path.join(runtimeDir, "package.json"));

export function loadEsbuild() {
  return requireRt("esbuild");
}

// Always React 19 and the runtime's Tailwind, whatever an app's package.json asks for: one React per page,
// and Tailwind is the preview's own stylesheet compiler, not a library of the app.
export const FORCED = new Set(["react", "react-dom", "react-is", "scheduler", "tailwindcss"]);
// Modules vzero provides itself (offline stand-ins), by import specifier.
export const SHIMS = {
  "@vzero/runtime": "runtime.jsx",
  "@vzero/jsx-runtime": "jsx-runtime.js",
  "@vzero/tailwind": "tailwind.js",
  "@vzero/font-google": "next-font-google.js",
  "@vzero/font-missing": "font-missing.js",
  "next/link": "next-link.jsx",
  "next/image": "next-image.jsx",
  "next/legacy/image": "next-image.jsx",
  "next/navigation": "next-navigation.js",
  "next/router": "next-router.js",
  "next/compat/router": "next-router.js",
  "next/dynamic": "next-dynamic.jsx",
  "next/head": "next-head.jsx",
  "next/script": "next-script.jsx",
  "next/font/local": "next-font-local.js",
  "next/headers": "next-headers.js",
  "next/cache": "next-cache.js",
  "next/server": "next-server.js",
  "next/error": "next-error.jsx",
  "next/form": "next-form.jsx",
  "next/config": "next-misc.js",
  "next/web-vitals": "next-misc.js",
  "next/amp": "next-misc.js",
  "next/document": "next-document.jsx",
  "@vercel/analytics": "vercel-analytics.js",
  "@vercel/analytics/next": "vercel-analytics.js",
  "@vercel/analytics/react": "vercel-analytics.js",
  "@vercel/analytics/server": "vercel-analytics.js",
  "@vercel/speed-insights": "vercel-speed-insights.js",
  "@vercel/speed-insights/next": "vercel-speed-insights.js",
  "@vercel/speed-insights/react": "vercel-speed-insights.js",
};
// Packages whose every import a shim answers (never installed from npm).
export const SHIMMED_PACKAGES = new Set(["next", "@vercel/analytics", "@vercel/speed-insights"]);
export const EMPTY_MODULES = new Set(["server-only", "client-only", "next/types", "next/app"]);
export const NODE_BUILTINS = new Set(builtinModules.filter((m) => !m.startsWith("_")));
// The browser stand-ins Next.js gives client code for Node.js modules (npm packages, installed like any other).
export const NODE_POLYFILLS = {
  assert: "assert", buffer: "buffer", constants: "constants-browserify", crypto: "crypto-browserify",
  domain: "domain-browser", events: "events", http: "stream-http", https: "https-browserify",
  os: "os-browserify", path: "path-browserify", process: "process", punycode: "punycode",
  querystring: "querystring-es3", stream: "stream-browserify", string_decoder: "string_decoder",
  timers: "timers-browserify", tty: "tty-browserify", url: "url", util: "util", vm: "vm-browserify",
  zlib: "browserify-zlib",
};

/** The npm package standing in for Node.js module `spec` in a browser, or null when there is none. */
export function polyfillOf(spec) {
  const bare = spec.replace(/^node:/, "");
  const name = bare.split("/")[0];
  if (!NODE_POLYFILLS[name]) return null;
  return bare === name ? NODE_POLYFILLS[name] : null;
}

export function vendorFile(spec) {
  return spec.replace(/^@/, "").replace(/\//g, "__") + ".js";
}

export function packageName(spec) {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

export function isBare(spec) {
  // "#x" names a package's own subpath import (package.json "imports"): not another package.
  return !/^(\.|\/|#|[a-z][a-z0-9+.-]*:)/i.test(spec) || spec.startsWith("node:");
}

export function isBuiltin(spec) {
  const bare = spec.startsWith("node:") ? spec.slice(5) : spec;
  return spec.startsWith("node:") || NODE_BUILTINS.has(bare) || NODE_BUILTINS.has(bare.split("/")[0]);
}

export function hashOf(...parts) {
  const hash = crypto.createHash("sha256");
  for (const part of parts) hash.update(typeof part === "string" ? part : JSON.stringify(part));
  return hash.digest("hex");
}

export function message(m) {
  const loc = m.location;
  let file = loc ? loc.file : null;
  if (file) file = file.replace(/^app:\//, "").replace(/^vzero-virtual:/, "");
  if (file === "__entry.tsx") file = null;
  return {
    text: m.text + (m.notes && m.notes.length ? "\n" + m.notes.map((n) => n.text).join("\n") : ""),
    file,
    line: loc ? loc.line : null,
    column: loc ? loc.column + 1 : null,
    lineText: loc ? loc.lineText : null,
  };
}

// --- module formats: named exports of CommonJS files, found by reading them (never by running them) ---

let lexers = null;
export async function loadLexers() {
  if (lexers === null) {
    const cjs = requireRt("cjs-module-lexer");
    const esm = await import(requireRt.resolve("es-module-lexer"));
    await Promise.all([cjs.init ? cjs.init() : null, esm.init]);
    lexers = { cjs, esm };
  }
  return lexers;
}

/** True when `file` is an ES module (by extension, its package's "type", or its syntax). */
export function isEsm(file, source, lex) {
  if (file.endsWith(".mjs") || file.endsWith(".mts")) return true;
  if (file.endsWith(".cjs") || file.endsWith(".cts")) return false;
  try {
    const result = lex.esm.parse(source);
    if (result[3] !== undefined) return Boolean(result[3]);
    return result[0].some((i) => i.d === -1) || result[1].length > 0;
  } catch {
    return !/\bmodule\.exports\b|\bexports\.[A-Za-z_$]/.test(source);
  }
}

/** Export names of a CommonJS module, following `module.exports = require("./x")` re-exports. */
export async function cjsExports(file, resolve, lex, depth = 0, seen = new Set()) {
  if (seen.has(file) || depth > 8) return new Set();
  seen.add(file);
  let source;
  try {
    source = fs.readFileSync(file, "utf8");
  } catch {
    return new Set();
  }
  let parsed;
  try {
    parsed = lex.cjs.parse(source);
  } catch {
    return new Set();
  }
  const names = new Set(parsed.exports);
  for (const spec of parsed.reexports) {
    const target = await resolve(spec, path.dirname(file));
    if (target) for (const name of await cjsExports(target, resolve, lex, depth + 1, seen)) names.add(name);
  }
  return names;
}

/**
 * What an ES module exports that a bundle must state itself: whether it has a default export, and the
 * packages whose exports it passes on with `export * from "pkg"` (esbuild loses those through a chunk).
 */
export async function esmShape(file, source, lex, resolve, depth = 0, seen = new Set()) {
  const shape = { hasDefault: false, stars: new Set() };
  if (seen.has(file) || depth > 8) return shape;
  seen.add(file);
  let exports;
  try {
    [, exports] = lex.esm.parse(source);
  } catch {
    return shape;
  }
  for (const exp of exports) {
    if (depth === 0 && exp.name === "default") shape.hasDefault = true;
    if (exp.type !== "reexport-all" || typeof exp.from !== "string") continue;
    if (isBare(exp.from)) {
      shape.stars.add(exp.from);
      continue;
    }
    const target = await resolve(exp.from, path.dirname(file));
    if (!target) continue;
    let text;
    try {
      text = fs.readFileSync(target, "utf8");
    } catch {
      continue;
    }
    const inner = await esmShape(target, text, lex, resolve, depth + 1, seen);
    for (const star of inner.stars) shape.stars.add(star);
  }
  return shape;
}

const RESERVED = new Set("break case catch class const continue debugger default delete do else enum export extends false finally for function if import in instanceof new null return super switch this throw true try typeof var void while with yield let static implements interface package private protected public await".split(" "));

/**
 * The names ES modules import from each bare specifier in `code` (bundled output): { spec: Set(names) }.
 * A CommonJS package's entry can then offer exactly those names even when reading its code found none.
 */
export function importedNames(code, lex) {
  const found = new Map();
  let imports;
  try {
    [imports] = lex.esm.parse(code);
  } catch {
    return found;
  }
  for (const imp of imports) {
    const spec = imp.specifier;
    if (typeof spec !== "string" || !isBare(spec) || imp.type === "dynamic") continue;
    const statement = code.slice(imp.importStart, imp.importEnd);
    const clause = /\{([^}]*)\}/.exec(statement.split(/\bfrom\b/)[0] || "");
    if (!clause) continue;
    const names = found.get(spec) || new Set();
    for (const item of clause[1].split(",")) {
      const name = item.trim().split(/\s+as\s+/)[0].trim().replace(/^type\s+/, "");
      if (/^[A-Za-z_$][\w$]*$/.test(name) && !RESERVED.has(name)) names.add(name);
    }
    found.set(spec, names);
  }
  return found;
}

/**
 * The entry module that re-exports `spec`: for an ES module its exports (`shape` from esmShape), for a
 * CommonJS module (`names` from cjsExports) its module.exports as default and each name found in it.
 */
export function entryModule(spec, { shape = null, names = null, external = () => false } = {}) {
  const s = JSON.stringify(spec);
  if (names === null) {
    const lines = [`export * from ${s};`];
    const stars = shape ? [...shape.stars].filter(external) : [];
    if (shape && shape.hasDefault) lines.push(`export { default } from ${s};`);
    // No default: the namespace stands in, as bundlers give (not with stars: a namespace would lose them).
    else if (!stars.length) lines.push(`import * as ns from ${s};`, "export default ns;");
    for (const star of stars) lines.push(`export * from ${JSON.stringify(star)};`);
    return lines.join("\n") + "\n";
  }
  const ids = [...names].filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && !RESERVED.has(k) && k !== "__esModule" && k !== COMMONJS_MARK);
  return `import * as ns from ${s};\nexport default ns.default;\nexport const ${COMMONJS_MARK} = true;\n` + (ids.length ? `export const { ${ids.join(", ")} } = ns;\n` : "");
}

// --- require() of a module the bundle leaves to the page ----------------------------------------------
// CommonJS code that require()s such a module gets what it would get bundled: a CommonJS module's
// module.exports (an entry module marks that it stands for one), else the ES module's namespace.
export const COMMONJS_MARK = "__vzeroCommonJS";

export function requireShim(spec) {
  return `module.exports = require(${JSON.stringify("vzero-ns:" + spec)}).m;\n`;
}

export function namespaceShim(spec) {
  const s = JSON.stringify(spec);
  return `import * as ns from ${s};\nexport const m = ns.${COMMONJS_MARK} === true ? ns.default : ns;\n`;
}

/** Plugin hooks for the two shims; `resolveDir` is where their imports resolve from. */
export function requireInterop(build, resolveDir) {
  build.onResolve({ filter: /^vzero-ns:/ }, (args) => ({ path: args.path.slice("vzero-ns:".length), namespace: "vzero-ns" }));
  build.onLoad({ filter: /.*/, namespace: "vzero-ns" }, (args) => ({ contents: namespaceShim(args.path), loader: "js", resolveDir }));
  build.onLoad({ filter: /.*/, namespace: "vzero-require" }, (args) => ({ contents: requireShim(args.path), loader: "js", resolveDir }));
}

// --- assets: files that bundled code refers to by URL ---------------------------------------------------

export const ASSET_EXTS = [".woff2", ".woff", ".ttf", ".otf", ".eot", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".mp3", ".mp4", ".wav", ".webm"];
export const ASSET_BASE = "__VZERO_ASSET_BASE__/";
const ASSET_IN_JS = /(["'`])__VZERO_ASSET_BASE__\/([^"'`]+)\1/g;

/**
 * Write esbuild's output files, turning asset URLs into ones relative to the file that uses them: in
 * JavaScript a `new URL(..., import.meta.url)` (the page's base is not the module's), in CSS a relative path.
 */
export function writeOutputs(outputFiles, outdir) {
  const written = [];
  for (const file of outputFiles) {
    const rel = path.relative(outdir, file.path);
    let contents = file.contents;
    if (file.path.endsWith(".js") || file.path.endsWith(".css")) {
      let text = file.text;
      if (text.includes(ASSET_BASE)) {
        const fromDir = path.posix.dirname(rel.split(path.sep).join("/"));
        const relTo = (target) => {
          const r = path.posix.relative(fromDir, target);
          return r.startsWith(".") ? r : "./" + r;
        };
        // publicPath also prefixes imports between chunks: those become plain relative paths.
        text = file.path.endsWith(".js")
          ? text.replace(ASSET_IN_JS, (_all, _q, target) =>
              path.posix.basename(target).startsWith("asset-")
                ? `new URL(${JSON.stringify(relTo(target))}, import.meta.url).href`
                : JSON.stringify(relTo(target)))
          : text.split(ASSET_BASE).join("").replace(/url\((["']?)([^"')]+)\1\)/g, (all, q, target) =>
              target.startsWith("asset-") || target.includes("/asset-") ? `url(${q}${relTo(target)}${q})` : all);
        contents = Buffer.from(text);
      }
    }
    const target = path.join(outdir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, contents);
    written.push(rel);
  }
  return written;
}

/** Prepend to an entry's JavaScript the loading of the stylesheet esbuild extracted from it. */
export function cssLoader(cssFile) {
  return `(()=>{const l=document.createElement("link");l.rel="stylesheet";l.href=new URL(${JSON.stringify("./" + cssFile)},import.meta.url).href;document.head.appendChild(l)})();\n`;
}

// --- next/font/local: font paths become URLs of the files, and the font gets the name it was declared as ---

const FONT_PATH = /(["'])(\.{1,2}\/[^"'\n]+?\.(?:woff2|woff|ttf|otf|eot))\1/g;

export function transformLocalFonts(source) {
  if (!source.includes("next/font/local")) return source;
  const m = /import\s+([A-Za-z_$][\w$]*)\s+from\s*["']next\/font\/local["']/.exec(source);
  if (!m) return source;
  const loader = m[1];
  const imports = [];
  let out = source.replace(FONT_PATH, (_all, _q, p) => {
    imports.push(`import __vzeroFont${imports.length} from ${JSON.stringify(p)};`);
    return `__vzeroFont${imports.length - 1}`;
  });
  const call = new RegExp(`((?:const|let|var)\\s+([A-Za-z_$][\\w$]*)\\s*(?::[^=;]+)?=\\s*)${loader.replace(/\$/g, "\\$")}\\s*\\(`, "g");
  out = out.replace(call, (_all, head, name) => `${head}${loader}.named(${JSON.stringify(name)})(`);
  return imports.join("\n") + (imports.length ? "\n" : "") + out;
}

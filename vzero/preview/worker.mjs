// Long-lived bundler for the offline preview: JSON lines on stdin/stdout, esbuild's JS API underneath.
//
// argv: <runtimeDir> <shimsDir>. Requests: {"id", "op": "build"|"prepare"|"dispose"|"ping", ...}; every
// request gets exactly one response line with the same id. stdout carries protocol lines only: all
// logging goes to stderr.
import { createRequire } from "node:module";
import crypto from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";

const VENDOR_FORMAT = 3; // bump when the vendor layout changes, so old vendor folders are rebuilt
const MAX_CONTEXTS = 16;
const [runtimeDir, shimsDir] = process.argv.slice(2).map((p) => path.resolve(p));
const nodeModules = path.join(runtimeDir, "node_modules");
const vendorDir = path.join(runtimeDir, "vendor");
const requireRt = createRequire(path.join(runtimeDir, "package.json"));

console.log = console.error; // keep stdout for the protocol
console.info = console.error;
console.warn = console.error;

function send(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

let esbuild;
try {
  esbuild = requireRt("esbuild");
} catch (err) {
  send({ id: 0, ready: false, error: `esbuild is not installed in ${runtimeDir}: ${err.message}` });
  process.exit(3);
}

const runtimePackage = JSON.parse(fs.readFileSync(path.join(runtimeDir, "package.json"), "utf8"));
const NOT_VENDORED = new Set(["esbuild", "@tailwindcss/browser", "tw-animate-css"]);
const DEPENDENCIES = Object.keys(runtimePackage.dependencies || {}).sort();
// Packages an app may import: the runtime's dependencies plus the Next.js shims below.
const AVAILABLE = DEPENDENCIES.filter((d) => !NOT_VENDORED.has(d));
// CommonJS packages: esbuild cannot see their export names, so the vendor entry lists them explicitly.
const CJS = new Set(["react", "react/jsx-runtime", "react-dom", "react-dom/client"]);
const SHIMS = {
  "@vzero/runtime": "runtime.jsx",
  "@vzero/jsx-runtime": "jsx-runtime.js",
  "next/link": "next-link.jsx",
  "next/image": "next-image.jsx",
  "next/navigation": "next-navigation.js",
  "next/router": "next-router.js",
  "next/dynamic": "next-dynamic.jsx",
  "next/head": "next-head.jsx",
  "next/script": "next-script.jsx",
  "next/font/local": "next-font-local.js",
};
const EMPTY_MODULES = new Set(["server-only", "client-only"]);
const VENDOR_SPECS = [
  ...AVAILABLE,
  "react/jsx-runtime",
  "react-dom/client",
  "@hookform/resolvers/zod",
  ...Object.keys(SHIMS),
].sort();
const VENDOR_SET = new Set(VENDOR_SPECS);

function vendorFile(spec) {
  return spec.replace(/^@/, "").replace(/\//g, "__") + ".js";
}

function packageName(spec) {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

// ---------------------------------------------------------------------------------------------
// Vendor bundle: every available package as one ESM file under <runtime>/vendor/, sharing chunks,
// built once per runtime install (keyed by the lock file, the shims and VENDOR_FORMAT).

function vendorStamp() {
  const hash = crypto.createHash("sha256");
  hash.update(String(VENDOR_FORMAT));
  hash.update(fs.readFileSync(path.join(runtimeDir, "package-lock.json")));
  for (const name of fs.readdirSync(shimsDir).sort()) {
    hash.update(name);
    hash.update(fs.readFileSync(path.join(shimsDir, name)));
  }
  return hash.digest("hex");
}

function vendorEntryContents(spec) {
  if (SHIMS[spec]) {
    const file = JSON.stringify(path.join(shimsDir, SHIMS[spec]));
    return `export * from ${file};\nimport * as ns from ${file};\nexport default ns.default;\n`;
  }
  const s = JSON.stringify(spec);
  if (CJS.has(spec)) {
    const names = Object.keys(requireRt(spec)).filter((k) => /^[A-Za-z_$][\w$]*$/.test(k) && k !== "default");
    return `import m from ${s};\nexport default m;\nexport const { ${names.join(", ")} } = m;\n`;
  }
  return `export * from ${s};\nimport * as ns from ${s};\nexport default (ns.default !== undefined ? ns.default : ns);\n`;
}

async function prepareVendor() {
  const stamp = vendorStamp();
  const stampFile = path.join(vendorDir, "stamp.json");
  try {
    if (JSON.parse(fs.readFileSync(stampFile, "utf8")).stamp === stamp) return { built: false, stamp };
  } catch {}
  const started = performance.now();
  const tmp = `${vendorDir}.tmp-${process.pid}-${Date.now()}`;
  const entryPlugin = {
    name: "vzero-vendor",
    setup(build) {
      build.onResolve({ filter: /^vendor-entry:/ }, (args) => ({
        path: args.path.slice("vendor-entry:".length),
        namespace: "vendor-entry",
      }));
      build.onLoad({ filter: /.*/, namespace: "vendor-entry" }, (args) => ({
        contents: vendorEntryContents(args.path),
        resolveDir: runtimeDir,
        loader: "js",
      }));
      // Shims import each other by package name so that there is one router, one React.
      build.onResolve({ filter: /^(@vzero\/|next\/)/ }, (args) =>
        SHIMS[args.path] ? { path: path.join(shimsDir, SHIMS[args.path]) } : undefined,
      );
    },
  };
  await esbuild.build({
    entryPoints: VENDOR_SPECS.map((spec) => ({ in: `vendor-entry:${spec}`, out: vendorFile(spec).slice(0, -3) })),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    minify: true,
    outdir: tmp,
    chunkNames: "chunks/[name]-[hash]",
    nodePaths: [nodeModules],
    jsx: "automatic",
    legalComments: "none",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
    plugins: [entryPlugin],
  });
  fs.copyFileSync(
    path.join(nodeModules, "@tailwindcss/browser/dist/index.global.js"),
    path.join(tmp, "tailwindcss-browser.js"),
  );
  fs.copyFileSync(path.join(shimsDir, "overlay.js"), path.join(tmp, "overlay.js"));
  fs.copyFileSync(path.join(shimsDir, "placeholder.svg"), path.join(tmp, "placeholder.svg"));
  fs.writeFileSync(path.join(tmp, "stamp.json"), JSON.stringify({ stamp, specs: VENDOR_SPECS }));
  const old = `${vendorDir}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(vendorDir)) fs.renameSync(vendorDir, old);
  try {
    fs.renameSync(tmp, vendorDir);
  } catch (err) {
    // Another process finished first; its folder is as good as ours.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
  return { built: true, stamp, ms: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// App builds.

const SOURCE_EXTS = [".tsx", ".ts", ".jsx", ".js", ".mjs", ".cjs"];
const RESOLVE_EXTS = [...SOURCE_EXTS, ".json", ".css"];
const BINARY_LOADERS = {
  ".png": "dataurl", ".jpg": "dataurl", ".jpeg": "dataurl", ".gif": "dataurl", ".webp": "dataurl",
  ".avif": "dataurl", ".ico": "dataurl", ".svg": "dataurl", ".woff": "dataurl", ".woff2": "dataurl",
  ".ttf": "dataurl", ".otf": "dataurl", ".mp3": "dataurl", ".mp4": "dataurl", ".wav": "dataurl",
};
const LOADERS = {
  ".tsx": "tsx", ".ts": "ts", ".mts": "ts", ".cts": "ts", ".jsx": "jsx", ".js": "jsx", ".mjs": "js",
  ".cjs": "js", ".json": "json", ".txt": "text", ".md": "text", ".mdx": "text", ".html": "text",
  ...BINARY_LOADERS,
};

let twAnimateCss = null;
function twAnimate() {
  if (twAnimateCss === null) {
    try {
      const pkgDir = path.join(nodeModules, "tw-animate-css");
      const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
      const rel = pkg.style || (pkg.exports && pkg.exports["."] && pkg.exports["."].style) || "dist/tw-animate.css";
      twAnimateCss = fs.readFileSync(path.join(pkgDir, rel), "utf8");
    } catch {
      twAnimateCss = "";
    }
  }
  return twAnimateCss;
}

function extname(p) {
  const base = p.slice(p.lastIndexOf("/") + 1);
  if (base.endsWith(".module.css")) return ".module.css";
  const i = base.lastIndexOf(".");
  return i > 0 ? base.slice(i).toLowerCase() : "";
}

function dirname(p) {
  const i = p.lastIndexOf("/");
  return i <= 0 ? "/" : p.slice(0, i);
}

function normalize(p) {
  const out = [];
  for (const part of p.split("/")) {
    if (!part || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return "/" + out.join("/");
}

/** Find `p` (absolute, in the app) trying the usual extensions and index files. */
function lookup(files, p) {
  const candidates = [p, ...RESOLVE_EXTS.map((e) => p + e), ...SOURCE_EXTS.map((e) => p + "/index" + e)];
  // TypeScript lets "./x.js" name "./x.ts(x)".
  const m = p.match(/^(.*)\.(js|jsx|mjs)$/);
  if (m) candidates.push(m[1] + ".ts", m[1] + ".tsx");
  for (const c of candidates) if (files.has(c)) return c;
  return null;
}

function shownPath(p) {
  return p.startsWith("/") ? p.slice(1) : p;
}

function parseFonts(files) {
  const names = new Set();
  const re = /import\s*\{([^}]*)\}\s*from\s*["']next\/font\/google["']/g;
  for (const [p, f] of files) {
    if (f.binary || !/\.(tsx|ts|jsx|js|mjs)$/.test(p) || !f.text.includes("next/font/google")) continue;
    for (const m of f.text.matchAll(re)) {
      for (const item of m[1].split(",")) {
        const name = item.trim().split(/\s+as\s+/)[0].replace(/^type\s+/, "").trim();
        if (/^[A-Za-z_$][\w$]*$/.test(name)) names.add(name);
      }
    }
  }
  return names;
}

function fontModule(names) {
  const lines = [
    "function font(family, fallback) {",
    "  return (options = {}) => ({",
    "    className: '',",
    "    variable: '',",
    "    style: { fontFamily: `'${family}', ${fallback}`, fontWeight: options.weight && !Array.isArray(options.weight) ? Number(options.weight) || undefined : undefined },",
    "  });",
    "}",
  ];
  for (const name of names) {
    const family = name.replace(/_/g, " ");
    const fallback = /mono|code/i.test(name)
      ? "ui-monospace, SFMono-Regular, Menlo, monospace"
      : /serif|playfair|merriweather|lora|garamond/i.test(name) && !/sans/i.test(name)
        ? "ui-serif, Georgia, serif"
        : "ui-sans-serif, system-ui, sans-serif";
    lines.push(`export const ${name} = font(${JSON.stringify(family)}, ${JSON.stringify(fallback)});`);
  }
  lines.push("export default {};");
  return lines.join("\n");
}

// --- entry synthesis --------------------------------------------------------------------------

function findFile(files, bases) {
  for (const b of bases) {
    const hit = lookup(files, b);
    if (hit && SOURCE_EXTS.includes(extname(hit))) return hit;
  }
  return null;
}

function routeSegments(dir) {
  const segments = [];
  for (const seg of dir.split("/").filter(Boolean)) {
    if (/^\(.*\)$/.test(seg)) continue; // route group
    if (seg.startsWith("@") || seg.startsWith("_")) return null; // parallel slot or private folder
    let m;
    if ((m = seg.match(/^\[\[\.\.\.(.+)\]\]$/))) segments.push("**" + m[1]);
    else if ((m = seg.match(/^\[\.\.\.(.+)\]$/))) segments.push("*" + m[1]);
    else if ((m = seg.match(/^\[(.+)\]$/))) segments.push(":" + m[1]);
    else segments.push(seg);
  }
  return segments;
}

function synthesizeEntry(files) {
  const paths = [...files.keys()];
  const pageRe = /^\/(src\/)?app\/(?:(.*)\/)?page\.(tsx|jsx|ts|js)$/;
  const pages = paths.filter((p) => pageRe.test(p)).sort();
  if (pages.length) {
    const appBase = pages[0].startsWith("/src/app/") ? "/src/app" : "/app";
    const imports = [];
    const ref = (p) => {
      let i = imports.indexOf(p);
      if (i < 0) i = imports.push(p) - 1;
      return `M${i}`;
    };
    const routes = [];
    for (const page of pages) {
      if (!page.startsWith(appBase + "/")) continue;
      const dir = dirname(page).slice(appBase.length);
      const segments = routeSegments(dir);
      if (segments === null) continue;
      const layouts = [];
      const parts = dir.split("/").filter(Boolean);
      for (let i = 0; i <= parts.length; i++) {
        const layout = findFile(files, [`${appBase}/${[...parts.slice(0, i), "layout"].join("/")}`]);
        if (layout) layouts.push(ref(layout));
      }
      routes.push(`{ segments: ${JSON.stringify(segments)}, file: ${JSON.stringify(shownPath(page))}, page: ${ref(page)}, layouts: [${layouts.join(", ")}] }`);
    }
    const rootLayout = findFile(files, [`${appBase}/layout`]);
    const notFound = findFile(files, [`${appBase}/not-found`]);
    const extra = [
      `notFound: ${notFound ? ref(notFound) : "null"}`,
      `rootLayouts: [${rootLayout ? ref(rootLayout) : ""}]`,
    ];
    const lines = imports.map((p, i) => `import * as M${i} from ${JSON.stringify(p)};`);
    lines.push('import { mountNext } from "@vzero/runtime";');
    lines.push(`mountNext({ routes: [\n  ${routes.join(",\n  ")}\n], ${extra.join(", ")} });`);
    return { kind: "next", contents: lines.join("\n") + "\n" };
  }
  // Vite: index.html names the module script; else the usual main file.
  let main = null;
  const html = files.get("/index.html");
  if (html && !html.binary) {
    const m = html.text.match(/<script[^>]*type=["']module["'][^>]*src=["']([^"']+)["']/i);
    if (m && !/^[a-z]+:|^\/\//i.test(m[1])) main = lookup(files, normalize(m[1]));
  }
  main = main || findFile(files, ["/src/main", "/src/index", "/main", "/index"]);
  if (main) return { kind: "vite", contents: `import ${JSON.stringify(main)};\n` };
  let component = findFile(files, ["/src/App", "/App", "/app", "/pages/index", "/src/pages/index", "/src/app"]);
  if (!component) {
    const candidates = paths.filter(
      (p) => /\.(tsx|jsx)$/.test(p) && !files.get(p).binary && /export\s+default\b/.test(files.get(p).text),
    );
    const top = candidates.filter((p) => !p.startsWith("/components/ui/"));
    if (top.length === 1) component = top[0];
    else if (candidates.length === 1) component = candidates[0];
  }
  if (component) {
    return {
      kind: "component",
      contents: `import * as M from ${JSON.stringify(component)};\nimport { mountComponent } from "@vzero/runtime";\nmountComponent(M, ${JSON.stringify(shownPath(component))});\n`,
    };
  }
  return {
    kind: "none",
    error:
      "No entry point found: expected app/page.tsx (Next.js app router), src/main.tsx with index.html (Vite) or a component such as src/App.tsx",
  };
}

// --- tailwind stylesheet ------------------------------------------------------------------------

const SHADCN_V3_THEME = `@custom-variant dark (&:is(.dark *));
@theme inline {
  --color-border: hsl(var(--border)); --color-input: hsl(var(--input)); --color-ring: hsl(var(--ring));
  --color-background: hsl(var(--background)); --color-foreground: hsl(var(--foreground));
  --color-primary: hsl(var(--primary)); --color-primary-foreground: hsl(var(--primary-foreground));
  --color-secondary: hsl(var(--secondary)); --color-secondary-foreground: hsl(var(--secondary-foreground));
  --color-destructive: hsl(var(--destructive)); --color-destructive-foreground: hsl(var(--destructive-foreground));
  --color-muted: hsl(var(--muted)); --color-muted-foreground: hsl(var(--muted-foreground));
  --color-accent: hsl(var(--accent)); --color-accent-foreground: hsl(var(--accent-foreground));
  --color-popover: hsl(var(--popover)); --color-popover-foreground: hsl(var(--popover-foreground));
  --color-card: hsl(var(--card)); --color-card-foreground: hsl(var(--card-foreground));
  --color-sidebar: hsl(var(--sidebar-background)); --color-sidebar-foreground: hsl(var(--sidebar-foreground));
  --color-chart-1: hsl(var(--chart-1)); --color-chart-2: hsl(var(--chart-2)); --color-chart-3: hsl(var(--chart-3));
  --color-chart-4: hsl(var(--chart-4)); --color-chart-5: hsl(var(--chart-5));
  --radius-lg: var(--radius); --radius-md: calc(var(--radius) - 2px); --radius-sm: calc(var(--radius) - 4px);
}
`;

const IMPORT_RE = /@import\s+(?:url\(\s*)?["']?([^"')\s;]+)["']?\s*\)?([^;]*);/g;

function inlineCss(files, file, seen, warnings, state) {
  if (seen.has(file)) return "";
  seen.add(file);
  const entry = files.get(file);
  if (!entry || entry.binary) return "";
  let text = entry.text;
  if (/@tailwind\s+(base|components|utilities)\s*;/.test(text)) {
    state.v3 = true;
    text = text.replace(/@tailwind\s+(base|components|utilities|variants|screens)\s*;/g, "");
  }
  text = text.replace(/@config\s+[^;]*;/g, "");
  text = text.replace(/@plugin\s+["']([^"']+)["'][^;]*;/g, (all, name) => {
    if (name === "tailwindcss-animate") state.animate = true;
    else warnings.push({ text: `@plugin "${name}" is not supported by the offline preview and was ignored`, file: shownPath(file) });
    return "";
  });
  return text.replace(IMPORT_RE, (all, spec, rest) => {
    if (spec === "tailwindcss" || spec.startsWith("tailwindcss/")) {
      if (!state.twImport) state.twImport = all;
      return "";
    }
    if (spec === "tw-animate-css" || spec === "tailwindcss-animate") {
      state.animate = true;
      return "";
    }
    if (/^(https?:)?\/\//.test(spec)) {
      warnings.push({ text: `@import of ${spec} was skipped: the offline preview loads nothing from the network`, file: shownPath(file) });
      return "";
    }
    const target = spec.startsWith("@/")
      ? lookup(files, normalize("/" + spec.slice(2))) || lookup(files, normalize("/src/" + spec.slice(2)))
      : lookup(files, normalize(spec.startsWith("/") ? spec : dirname(file) + "/" + spec));
    if (target) return inlineCss(files, target, seen, warnings, state);
    warnings.push({ text: `@import "${spec}" could not be found and was skipped`, file: shownPath(file) });
    return "";
  });
}

function tailwindSource(files, cssFiles, warnings) {
  const priority = ["/app/globals.css", "/src/app/globals.css", "/styles/globals.css", "/src/index.css", "/src/globals.css", "/index.css"];
  const wanted = new Set(cssFiles);
  for (const p of ["/app/globals.css", "/src/app/globals.css"]) if (files.has(p)) wanted.add(p);
  const ordered = [...priority.filter((p) => wanted.has(p)), ...[...wanted].filter((p) => !priority.includes(p)).sort()];
  const state = { v3: false, animate: false, twImport: null };
  const seen = new Set();
  const body = ordered.map((f) => inlineCss(files, f, seen, warnings, state)).join("\n");
  let head = (state.twImport || '@import "tailwindcss";') + "\n";
  if (state.v3) {
    head += SHADCN_V3_THEME;
    state.animate = true;
  }
  if (state.animate) head += twAnimate() + "\n";
  return head + body;
}

// --- esbuild plugin and build -------------------------------------------------------------------

function notAvailable(spec) {
  const name = packageName(spec);
  const what = name === "next" ? `'${spec}'` : `'${name}'`;
  const extra = name === "next" ? ` (shimmed: ${Object.keys(SHIMS).filter((s) => s.startsWith("next/")).concat("next/font/google").join(", ")})` : "";
  return `Module not found: ${what} is not available in the offline preview${extra}; available packages: ${AVAILABLE.join(", ")}`;
}

function appPlugin(state) {
  return {
    name: "vzero-app",
    setup(build) {
      build.onResolve({ filter: /^vzero:entry$/ }, () => ({ path: "/__entry.tsx", namespace: "app" }));
      build.onResolve({ filter: /.*/ }, (args) => {
        const spec = args.path.split("?")[0];
        const fromApp = args.namespace === "app";
        if (fromApp && (spec.startsWith("./") || spec.startsWith("../") || spec === "." || spec === ".." || spec.startsWith("/") || spec.startsWith("@/") || spec.startsWith("~/"))) {
          let found;
          if (spec.startsWith("@/") || spec.startsWith("~/")) {
            const rest = spec.slice(2);
            found = lookup(state.files, normalize("/" + rest)) || lookup(state.files, normalize("/src/" + rest));
          } else if (spec.startsWith("/")) {
            found = lookup(state.files, normalize(spec)) || lookup(state.files, normalize("/public" + spec));
          } else {
            found = lookup(state.files, normalize(dirname(args.importer) + "/" + spec));
          }
          if (!found) return { errors: [{ text: `Could not resolve "${args.path}": no such file in this version` }] };
          return { path: found, namespace: "app" };
        }
        if (spec.startsWith(".") || spec.startsWith("/") || /^[a-z]+:/i.test(spec)) {
          if (/^(https?:)?\/\//.test(spec)) {
            return { errors: [{ text: `Cannot import "${spec}": the offline preview loads nothing from the network` }] };
          }
          return undefined; // inside node_modules: esbuild resolves it
        }
        if (fromApp && (spec === "react/jsx-runtime" || spec === "react/jsx-dev-runtime")) {
          return { path: "./vendor/" + vendorFile("@vzero/jsx-runtime"), external: true };
        }
        if (VENDOR_SET.has(spec)) return { path: "./vendor/" + vendorFile(spec), external: true };
        if (spec === "next/font/google") return { path: spec, namespace: "vzero-virtual" };
        if (EMPTY_MODULES.has(spec)) return { path: spec, namespace: "vzero-virtual" };
        if (!fromApp) return undefined;
        if (AVAILABLE.includes(packageName(spec))) return undefined; // a subpath of an available package
        return { errors: [{ text: notAvailable(spec) }] };
      });
      build.onLoad({ filter: /.*/, namespace: "vzero-virtual" }, (args) => ({
        contents: args.path === "next/font/google" ? fontModule(parseFonts(state.files)) : "export {};",
        loader: "js",
        resolveDir: runtimeDir,
      }));
      build.onLoad({ filter: /.*/, namespace: "app" }, (args) => {
        if (args.path === "/__entry.tsx") return { contents: state.entry, loader: "tsx", resolveDir: runtimeDir };
        const file = state.files.get(args.path);
        if (!file) return { errors: [{ text: `File ${shownPath(args.path)} is missing` }] };
        const ext = extname(args.path);
        if (ext === ".css") {
          state.cssFiles.add(args.path);
          return { contents: "", loader: "js", resolveDir: runtimeDir };
        }
        if (ext === ".module.css") return { contents: file.text, loader: "local-css", resolveDir: runtimeDir };
        if (file.binary) {
          const loader = BINARY_LOADERS[ext];
          if (!loader) return { errors: [{ text: `${shownPath(args.path)} is not UTF-8 text, so it cannot be compiled` }] };
          return { contents: file.bytes, loader, resolveDir: runtimeDir };
        }
        return { contents: file.text, loader: LOADERS[ext] || "text", resolveDir: runtimeDir };
      });
    },
  };
}

function buildOptions(state, env) {
  const processEnv = { NODE_ENV: "production" };
  const metaEnv = { MODE: "production", DEV: false, PROD: true, SSR: false, BASE_URL: "./" };
  for (const [k, v] of Object.entries(env || {})) {
    if (k.startsWith("NEXT_PUBLIC_") || k.startsWith("VITE_")) {
      processEnv[k] = String(v);
      metaEnv[k] = String(v);
    }
  }
  return {
    entryPoints: { app: "vzero:entry" },
    bundle: true,
    write: false,
    metafile: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    outdir: "/out",
    sourcemap: "linked",
    sourceRoot: "",
    jsx: "automatic",
    nodePaths: [nodeModules],
    mainFields: ["browser", "module", "main"],
    define: {
      "process.env.NODE_ENV": '"production"',
      "process.env": JSON.stringify(processEnv),
      "import.meta.env": JSON.stringify(metaEnv),
    },
    logLevel: "silent",
    logOverride: { "unsupported-jsx-comment": "silent" },
    plugins: [appPlugin(state)],
  };
}

function message(m) {
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

const contexts = new Map(); // key -> { ctx, state, envKey }

function toFiles(raw) {
  const files = new Map();
  for (const [p, v] of Object.entries(raw)) {
    const key = normalize(p);
    if (v && typeof v === "object") {
      const bytes = Buffer.from(v.base64, "base64");
      files.set(key, { binary: true, bytes, text: "" });
    } else {
      files.set(key, { binary: false, text: String(v) });
    }
  }
  return files;
}

const keyLocks = new Map(); // key -> promise of the build in progress for that key

/** Builds for one key run one at a time: they share a context whose file map each one replaces. */
async function build(req) {
  if (!req.key) return buildNow(req);
  const previous = keyLocks.get(req.key) || Promise.resolve();
  const current = previous.then(() => buildNow(req));
  const settled = current.catch(() => {});
  keyLocks.set(req.key, settled);
  try {
    return await current;
  } finally {
    if (keyLocks.get(req.key) === settled) keyLocks.delete(req.key);
  }
}

async function buildNow(req) {
  const started = performance.now();
  const files = toFiles(req.files || {});
  const entry = synthesizeEntry(files);
  if (entry.error) {
    return { ok: false, kind: entry.kind, errors: [{ text: entry.error, file: null, line: null, column: null, lineText: null }], warnings: [], durationMs: performance.now() - started };
  }
  const envKey = JSON.stringify(req.env || {});
  let slot = req.key ? contexts.get(req.key) : null;
  if (slot && slot.envKey !== envKey) {
    contexts.delete(req.key);
    slot.ctx.dispose().catch(() => {});
    slot = null;
  }
  let state;
  let result;
  try {
    if (slot) {
      contexts.delete(req.key); // re-insert: Map order is the LRU order
      contexts.set(req.key, slot);
      state = slot.state;
      state.files = files;
      state.entry = entry.contents;
      state.cssFiles = new Set();
      result = await slot.ctx.rebuild();
    } else {
      state = { files, entry: entry.contents, cssFiles: new Set() };
      if (req.key) {
        const ctx = await esbuild.context(buildOptions(state, req.env));
        slot = { ctx, state, envKey };
        contexts.set(req.key, slot);
        while (contexts.size > MAX_CONTEXTS) {
          const [oldKey, old] = contexts.entries().next().value;
          contexts.delete(oldKey);
          old.ctx.dispose().catch(() => {});
        }
        result = await ctx.rebuild();
      } else {
        result = await esbuild.build(buildOptions(state, req.env));
      }
    }
  } catch (err) {
    if (!err.errors) throw err;
    return {
      ok: false,
      kind: entry.kind,
      errors: err.errors.map(message),
      warnings: (err.warnings || []).map(message),
      durationMs: performance.now() - started,
    };
  }
  const out = { ok: true, kind: entry.kind, js: "", css: "", map: "" };
  for (const f of result.outputFiles) {
    if (f.path.endsWith(".js")) out.js = f.text;
    else if (f.path.endsWith(".css")) out.css = f.text;
    else if (f.path.endsWith(".js.map")) out.map = f.text;
  }
  const warnings = result.warnings.map(message);
  // Metafile inputs also list CSS whose onLoad was served from esbuild's cache on a rebuild.
  for (const input of Object.keys(result.metafile.inputs)) {
    if (input.startsWith("app:") && extname(input) === ".css") state.cssFiles.add(input.slice(4));
  }
  out.tailwind = tailwindSource(files, state.cssFiles, warnings);
  out.errors = [];
  out.warnings = warnings;
  out.durationMs = performance.now() - started;
  return out;
}

async function handle(req) {
  switch (req.op) {
    case "ping":
      return { pong: true };
    case "prepare":
      return { vendor: await prepareVendor(), available: AVAILABLE };
    case "build":
      return await build(req);
    case "dispose": {
      const slot = contexts.get(req.key);
      if (slot) {
        contexts.delete(req.key);
        await slot.ctx.dispose();
      }
      return { disposed: Boolean(slot) };
    }
    default:
      throw new Error(`unknown op ${JSON.stringify(req.op)}`);
  }
}

const pending = new Set();
let startup = null;
const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
rl.on("line", (line) => {
  const task = serve(line);
  pending.add(task);
  task.finally(() => pending.delete(task));
});
// stdin closed: the Python side is gone or done; finish what was asked, then exit.
rl.on("close", async () => {
  await startup;
  while (pending.size) await Promise.allSettled([...pending]);
  for (const slot of contexts.values()) await slot.ctx.dispose().catch(() => {});
  process.exit(0);
});

async function serve(line) {
  if (!line.trim()) return;
  let req;
  try {
    req = JSON.parse(line);
  } catch (err) {
    send({ id: null, error: `bad request line: ${err.message}` });
    return;
  }
  try {
    send({ id: req.id, ...(await handle(req)) });
  } catch (err) {
    send({ id: req.id, error: String((err && err.stack) || err) });
  }
}

startup = prepareVendor().then(
  (vendor) => send({ id: 0, ready: true, vendor, available: AVAILABLE, esbuild: esbuild.version }),
  (err) => {
    send({ id: 0, ready: false, error: `could not build the vendor bundle: ${(err && err.stack) || err}` });
    process.exit(4);
  },
);

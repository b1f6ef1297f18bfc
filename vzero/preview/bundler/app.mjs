// App builds: a version's files bundled into app.js/app.css against the vendor bundle. Imports of packages
// outside the pinned set (or at versions the app's package.json rules out) stay bare imports: resolver.py
// installs and pre-bundles them and the page's import map says where they are.
import fs from "node:fs";
import path from "node:path";
import {
  EMPTY_MODULES, FORCED, SHIMMED_PACKAGES, SHIMS, importedNames, isBare, isBuiltin, loadLexers, message, nodeModules, packageName, polyfillOf, requireInterop, requireRt,
  runtimeDir, transformLocalFonts, vendorFile,
} from "./common.mjs";
import { PINNED, VENDOR_SET } from "./vendor.mjs";

const MAX_CONTEXTS = 16;
const SOURCE_EXTS = [".tsx", ".ts", ".jsx", ".js", ".mjs", ".cjs"];
const RESOLVE_EXTS = [...SOURCE_EXTS, ".json", ".css"];
const BINARY_LOADERS = {
  ".png": "dataurl", ".jpg": "dataurl", ".jpeg": "dataurl", ".gif": "dataurl", ".webp": "dataurl",
  ".avif": "dataurl", ".ico": "dataurl", ".svg": "dataurl", ".woff": "dataurl", ".woff2": "dataurl",
  ".ttf": "dataurl", ".otf": "dataurl", ".eot": "dataurl", ".mp3": "dataurl", ".mp4": "dataurl", ".wav": "dataurl",
};
const LOADERS = {
  ".tsx": "tsx", ".ts": "ts", ".mts": "ts", ".cts": "ts", ".jsx": "jsx", ".js": "jsx", ".mjs": "js",
  ".cjs": "js", ".json": "json", ".txt": "text", ".md": "text", ".mdx": "text", ".html": "text",
  ...BINARY_LOADERS,
};
const TAILWIND_CONFIGS = ["tailwind.config.ts", "tailwind.config.js", "tailwind.config.mjs", "tailwind.config.cjs", "tailwind.config.mts"];

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

// --- next/font/google: one module per build, each family's faces imported from resolver.py's font modules ---

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
  return [...names].sort();
}

function fontModule(names) {
  const lines = ['import { googleFont } from "@vzero/font-google";'];
  names.forEach((name, i) => {
    lines.push(`import F${i} from ${JSON.stringify("@vzero/font/" + name)};`);
    lines.push(`export const ${name} = (options) => googleFont(${JSON.stringify(name)}, F${i}, options);`);
  });
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

/** The Tailwind config and plugins the app's stylesheets use: bundled with the app, registered before it renders. */
function tailwindModules(files) {
  let config = null;
  let v3 = false;
  const plugins = new Set();
  for (const [p, f] of files) {
    if (f.binary || extname(p) !== ".css") continue;
    if (/@tailwind\s+(base|components|utilities)\b|@import\s+["']tailwindcss\/(base|components|utilities)["']/.test(f.text)) v3 = true;
    for (const m of f.text.matchAll(/@config\s+["']([^"']+)["']/g)) config = config || lookup(files, normalize(dirname(p) + "/" + m[1]));
    for (const m of f.text.matchAll(/@plugin\s+["']([^"']+)["']/g)) plugins.add(m[1]);
  }
  if (v3 && !config) config = findFile(files, TAILWIND_CONFIGS.map((c) => "/" + c.replace(/\.[^.]+$/, "")));
  return { config, plugins: [...plugins].sort(), v3 };
}

/** Families of Google Fonts stylesheets the app links or @imports (fonts.googleapis.com/css2?family=...). */
function googleFontLinks(files) {
  const found = new Map();
  for (const [p, f] of files) {
    if (f.binary || !/\.(tsx|ts|jsx|js|mjs|css|html)$/.test(p) || !f.text.includes("fonts.googleapis.com")) continue;
    for (const m of f.text.matchAll(/fonts\.googleapis\.com\/css2?\?([^"'`)\s>]+)/g)) {
      const query = m[1].replace(/&amp;/g, "&");
      for (const part of query.split("&")) {
        if (!part.startsWith("family=")) continue;
        for (const spec of decodeURIComponent(part.slice(7).replace(/\+/g, " ")).split("|")) {
          const [family, axes = ""] = spec.split(":");
          const name = family.trim().replace(/\s+/g, "_");
          if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) continue;
          const weights = new Set(found.get(name) || []);
          for (const w of axes.match(/\b[1-9]00\b/g) || []) weights.add(w);
          found.set(name, [...weights].sort());
        }
      }
    }
  }
  return [...found.entries()].sort();
}

/** Imports and a call the entry runs before the app: the Tailwind config and plugins, and linked Google Fonts. */
function prelude(files, tw) {
  const fonts = googleFontLinks(files);
  const imports = [];
  const calls = [];
  if (fonts.length) {
    imports.push('import { googleFont as __vzeroGoogleFont } from "@vzero/font-google";');
    fonts.forEach(([name, weights], i) => {
      imports.push(`import GoogleFont${i} from ${JSON.stringify("@vzero/font/" + name)};`);
      calls.push(`__vzeroGoogleFont(${JSON.stringify(name)}, GoogleFont${i}, ${JSON.stringify(weights.length ? { weight: weights } : {})});`);
    });
  }
  const tailwind = tailwindRegistration(tw);
  return { imports: [...imports, ...tailwind.imports], call: [...calls, tailwind.call].filter(Boolean).join("\n") };
}

function tailwindRegistration(tw) {
  if (!tw.config && !tw.plugins.length) return { imports: [], call: "" };
  const imports = ['import { registerTailwind } from "@vzero/tailwind";'];
  if (tw.config) imports.push(`import * as TwConfig from ${JSON.stringify(tw.config)};`);
  const plugins = tw.plugins.map((id, i) => {
    imports.push(`import * as TwPlugin${i} from ${JSON.stringify(id.startsWith(".") ? "/" + id.replace(/^\.\//, "") : id)};`);
    return `${JSON.stringify(id)}: TwPlugin${i}.default ?? TwPlugin${i}`;
  });
  const config = tw.config ? "TwConfig.default ?? TwConfig" : "null";
  return { imports, call: `registerTailwind({ config: ${config}, plugins: { ${plugins.join(", ")} } });` };
}

function synthesizeEntry(files, tw) {
  const paths = [...files.keys()];
  const register = prelude(files, tw);
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
    const lines = [...register.imports, ...imports.map((p, i) => `import * as M${i} from ${JSON.stringify(p)};`)];
    lines.push('import { mountNext } from "@vzero/runtime";');
    if (register.call) lines.push(register.call);
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
  if (main) {
    const lines = [...register.imports, register.call, `import ${JSON.stringify(main)};`];
    return { kind: "vite", contents: lines.filter(Boolean).join("\n") + "\n" };
  }
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
    const lines = [
      ...register.imports,
      `import * as M from ${JSON.stringify(component)};`,
      'import { mountComponent } from "@vzero/runtime";',
      register.call,
      `mountComponent(M, ${JSON.stringify(shownPath(component))});`,
    ];
    return { kind: "component", contents: lines.filter(Boolean).join("\n") + "\n" };
  }
  return {
    kind: "none",
    error:
      "No entry point found: expected app/page.tsx (Next.js app router), src/main.tsx with index.html (Vite) or a component such as src/App.tsx",
  };
}

// --- tailwind stylesheet ------------------------------------------------------------------------

// A v3 app without a config file: the colour tokens shadcn's v3 template defines in tailwind.config.
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
// What Tailwind's v3-to-v4 upgrade adds so that v3 projects keep their look (borders, buttons).
const V3_COMPAT = `@layer base {
  *, ::after, ::before, ::backdrop, ::file-selector-button { border-color: var(--color-gray-200, currentcolor); }
  button:not(:disabled), [role="button"]:not(:disabled) { cursor: pointer; }
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
  return text.replace(IMPORT_RE, (all, spec) => {
    if (spec === "tailwindcss/base" || spec === "tailwindcss/components" || spec === "tailwindcss/utilities") {
      state.v3 = true;
      return "";
    }
    if (spec === "tailwindcss" || spec.startsWith("tailwindcss/")) {
      if (!state.twImport) state.twImport = all;
      return "";
    }
    if (spec === "tw-animate-css" || spec === "tailwindcss-animate") {
      state.animate = true;
      return "";
    }
    if (/^(https?:)?\/\//.test(spec)) {
      // Google Fonts come from npm font packages instead (see googleFontLinks); anything else cannot load here.
      if (!spec.includes("fonts.googleapis.com")) {
        warnings.push({ text: `@import of ${spec} was skipped: the offline preview loads nothing from the network`, file: shownPath(file) });
      }
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

function tailwindSource(files, cssFiles, warnings, tw) {
  const priority = ["/app/globals.css", "/src/app/globals.css", "/styles/globals.css", "/src/index.css", "/src/globals.css", "/index.css"];
  const wanted = new Set(cssFiles);
  for (const p of ["/app/globals.css", "/src/app/globals.css"]) if (files.has(p)) wanted.add(p);
  const ordered = [...priority.filter((p) => wanted.has(p)), ...[...wanted].filter((p) => !priority.includes(p)).sort()];
  const state = { v3: false, animate: false, twImport: null };
  const seen = new Set();
  const body = ordered.map((f) => inlineCss(files, f, seen, warnings, state)).join("\n");
  let head = (state.twImport || '@import "tailwindcss";') + "\n";
  if (tw.config) head += '@config "./tailwind.config";\n';
  if (state.v3) {
    head += V3_COMPAT;
    if (!tw.config) {
      head += SHADCN_V3_THEME;
      state.animate = true; // shadcn's v3 config would have loaded tailwindcss-animate
    }
  }
  if (state.animate) head += twAnimate() + "\n";
  return head + body;
}

// --- esbuild plugin and build -------------------------------------------------------------------

/** Where a bare import first appears in its importer: for an error that points at the line. */
function locate(state, importer, spec) {
  const file = state.files.get(importer);
  let text = file && !file.binary ? file.text : null;
  if (text === null) {
    try {
      text = fs.readFileSync(importer, "utf8");
    } catch {
      return { file: null, line: null, column: null, lineText: null };
    }
  }
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    for (const q of ['"', "'", "`"]) {
      const col = lines[i].indexOf(q + spec + q);
      if (col >= 0) return { file: state.files.has(importer) ? shownPath(importer) : null, line: i + 1, column: col + 1, lineText: lines[i] };
    }
  }
  return { file: state.files.has(importer) ? shownPath(importer) : null, line: null, column: null, lineText: null };
}

/** An import left to the page: CommonJS code that require()s it gets the module's namespace, as bundlers give. */
function leave(args, target) {
  return args.kind === "require-call" ? { path: target, namespace: "vzero-require" } : { path: target, external: true };
}

function external(state, args, spec) {
  if (!state.externals.has(spec)) state.externals.set(spec, { spec, ...locate(state, args.importer, spec) });
  return leave(args, spec);
}

function appPlugin(state) {
  return {
    name: "vzero-app",
    setup(build) {
      build.onResolve({ filter: /^vzero:entry$/ }, () => ({ path: "/__entry.tsx", namespace: "app" }));
      requireInterop(build, runtimeDir);
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
        if (args.namespace === "vzero-ns") return { path: args.path, external: true };
        if (!isBare(spec) || (spec.startsWith("node:") && !fromApp)) {
          if (/^(https?:)?\/\//.test(spec)) {
            return { errors: [{ text: `Cannot import "${spec}": the offline preview loads nothing from the network` }] };
          }
          return undefined; // inside node_modules: esbuild resolves it
        }
        const name = packageName(spec);
        if (spec === "react/jsx-runtime" || spec === "react/jsx-dev-runtime") {
          return leave(args, "./vendor/" + vendorFile(fromApp ? "@vzero/jsx-runtime" : "react/jsx-runtime"));
        }
        if (SHIMS[spec]) return leave(args, "./vendor/" + vendorFile(spec));
        if (spec === "next/font/google") return { path: spec, namespace: "vzero-virtual" };
        if (spec.startsWith("@vzero/font/")) return external(state, args, spec); // resolver.py finds the font files
        if (EMPTY_MODULES.has(spec)) return { path: spec, namespace: "vzero-virtual" };
        if (SHIMMED_PACKAGES.has(name)) {
          return { errors: [{ text: `'${spec}' is not supported in the preview (shimmed: ${Object.keys(SHIMS).filter((s) => packageName(s) === name).concat(name === "next" ? ["next/font/google"] : []).join(", ")})` }] };
        }
        // Tailwind v3 configs read its CommonJS helpers with named imports ({ fontFamily } from "tailwindcss/defaultTheme").
        if (name === "tailwindcss" && spec !== name) {
          try {
            return { path: requireRt.resolve(spec) };
          } catch {
            return undefined;
          }
        }
        // A pinned package is used unless the app's package.json asks for a version it is not.
        const usable = FORCED.has(name) || (name in PINNED && !state.npm.has(name));
        if (usable && VENDOR_SET.has(spec)) return leave(args, "./vendor/" + vendorFile(spec));
        if (usable || !fromApp) return undefined; // bundled from the runtime's node_modules
        if (isBuiltin(spec)) {
          const polyfill = polyfillOf(spec);
          if (polyfill) return external(state, args, polyfill);
          return { errors: [{ text: `Module not found: '${spec}' is a Node.js module; the preview runs in the browser` }] };
        }
        return external(state, args, spec);
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
        const contents = SOURCE_EXTS.includes(ext) ? transformLocalFonts(file.text) : file.text;
        return { contents, loader: LOADERS[ext] || "text", resolveDir: runtimeDir };
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
    loader: BINARY_LOADERS,
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
export async function buildApp(esbuild, req) {
  if (!req.key) return buildNow(esbuild, req);
  const previous = keyLocks.get(req.key) || Promise.resolve();
  const current = previous.then(() => buildNow(esbuild, req));
  const settled = current.catch(() => {});
  keyLocks.set(req.key, settled);
  try {
    return await current;
  } finally {
    if (keyLocks.get(req.key) === settled) keyLocks.delete(req.key);
  }
}

async function buildNow(esbuild, req) {
  const started = performance.now();
  const files = toFiles(req.files || {});
  const tw = tailwindModules(files);
  const entry = synthesizeEntry(files, tw);
  if (entry.error) {
    return { ok: false, kind: entry.kind, errors: [{ text: entry.error, file: null, line: null, column: null, lineText: null }], warnings: [], externals: [], durationMs: performance.now() - started };
  }
  // The pinned packages the app may use are part of how imports resolve: another set needs another context.
  const envKey = JSON.stringify([req.env || {}, [...(req.npm || [])].sort()]);
  let slot = req.key ? contexts.get(req.key) : null;
  if (slot && slot.envKey !== envKey) {
    contexts.delete(req.key);
    slot.ctx.dispose().catch(() => {});
    slot = null;
  }
  const fresh = { files, entry: entry.contents, cssFiles: new Set(), externals: new Map(), npm: new Set(req.npm || []) };
  let state;
  let result;
  try {
    if (slot) {
      contexts.delete(req.key); // re-insert: Map order is the LRU order
      contexts.set(req.key, slot);
      state = Object.assign(slot.state, fresh);
      result = await slot.ctx.rebuild();
    } else {
      state = fresh;
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
      externals: [],
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
  // Bare imports left in the output, including those a rebuild did not resolve again.
  for (const output of Object.values(result.metafile.outputs)) {
    for (const imp of output.imports || []) {
      if (imp.external && isBare(imp.path) && !state.externals.has(imp.path)) state.externals.set(imp.path, { spec: imp.path, file: null, line: null, column: null, lineText: null });
    }
  }
  out.tailwind = tailwindSource(files, state.cssFiles, warnings, tw);
  out.tailwindModules = Boolean(tw.config || tw.plugins.length);
  const names = importedNames(out.js, await loadLexers());
  out.externals = [...state.externals.values()]
    .map((e) => ({ ...e, names: [...(names.get(e.spec) || [])].sort() }))
    .sort((a, b) => (a.spec < b.spec ? -1 : 1));
  out.errors = [];
  out.warnings = warnings;
  out.durationMs = performance.now() - started;
  return out;
}

export async function disposeApp(key) {
  const slot = contexts.get(key);
  if (slot) {
    contexts.delete(key);
    await slot.ctx.dispose();
  }
  return Boolean(slot);
}

export async function disposeAll() {
  for (const slot of contexts.values()) await slot.ctx.dispose().catch(() => {});
  contexts.clear();
}

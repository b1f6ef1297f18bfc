// Builds the workspace into one folder: hashed JS/CSS/fonts under it, index.html, and manifest.json (written
// last: a folder with a manifest is a finished build). Run by vzero.ui.build:
//   node build.mjs --out DIR [--src DIR] [--node-path DIR]
import * as esbuild from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync, statSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const src = path.resolve(args.src ?? path.join(here, "src"));
const out = path.resolve(args.out ?? path.join(here, "build", "dev"));
const nodePaths = [path.resolve(args["node-path"] ?? path.join(here, "node_modules"))];
const PUBLIC = "/ui/";

mkdirSync(out, { recursive: true });
const common = {
  bundle: true,
  minify: true,
  target: ["chrome111", "firefox115", "safari16.4"],
  nodePaths,
  logLevel: "warning",
  legalComments: "none",
  define: { "process.env.NODE_ENV": '"production"' },
};

// The app: ES modules, split so the editor (CodeMirror) loads when the code view first opens.
const app = await esbuild.build({
  ...common,
  entryPoints: { main: path.join(src, "main.tsx") },
  outdir: out,
  format: "esm",
  splitting: true,
  entryNames: "[name]-[hash]",
  chunkNames: "chunk-[hash]",
  assetNames: "assets/[name]-[hash]",
  publicPath: PUBLIC,
  jsx: "automatic",
  jsxImportSource: "preact",
  loader: { ".woff2": "file", ".woff": "file", ".svg": "file" },
  metafile: true,
});
// The theme, set before the first paint by a classic script in <head> (no flash of the other theme).
const theme = await esbuild.build({
  ...common,
  entryPoints: { theme: path.join(src, "theme.ts") },
  outdir: out,
  format: "iife",
  entryNames: "[name]-[hash]",
  metafile: true,
});

const outputs = { ...app.metafile.outputs, ...theme.metafile.outputs };
const rel = (file) => path.relative(out, path.resolve(file)).split(path.sep).join("/");
const entry = (name) => Object.entries(outputs).find(([, o]) => o.entryPoint && path.basename(o.entryPoint).startsWith(name + "."));
const [mainJs, mainMeta] = entry("main");
const [themeJs] = entry("theme");
const css = mainMeta.cssBundle ? rel(mainMeta.cssBundle) : null;
const latinFonts = Object.keys(outputs).map(rel).filter((f) => /^assets\/inter-latin-wght-normal-.*\.woff2$/.test(f));
const icon = readFileSync(path.join(src, "favicon.svg"));
const favicon = `assets/favicon-${createHash("sha256").update(icon).digest("hex").slice(0, 8)}.svg`;
mkdirSync(path.join(out, "assets"), { recursive: true });
writeFileSync(path.join(out, favicon), icon);

const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="same-origin">
<title>vzero</title>
<link rel="icon" type="image/svg+xml" href="${PUBLIC}${favicon}">
${latinFonts.map((f) => `<link rel="preload" as="font" type="font/woff2" crossorigin href="${PUBLIC}${f}">`).join("\n")}
${css ? `<link rel="stylesheet" href="${PUBLIC}${css}">` : ""}
<script src="${PUBLIC}${rel(themeJs)}"></script>
<script type="module" src="${PUBLIC}${rel(mainJs)}"></script>
</head>
<body>
<div id="app"></div>
<noscript><p style="font:16px system-ui;margin:2rem">The vzero workspace needs JavaScript.</p></noscript>
</body>
</html>
`;
writeFileSync(path.join(out, "index.html"), html);

const files = Object.keys(outputs).map(rel).concat([favicon, "index.html"]);
const size = (f) => statSync(path.join(out, f)).size;
const gzip = (f) => gzipSync(readFileSync(path.join(out, f)), { level: 9 }).length;
const js = files.filter((f) => f.endsWith(".js"));
const manifest = {
  index: "index.html",
  entry: rel(mainJs),
  files,
  jsBytes: js.reduce((n, f) => n + size(f), 0),
  jsGzipBytes: js.reduce((n, f) => n + gzip(f), 0),
  initialJs: [rel(themeJs), rel(mainJs), ...mainMeta.imports.filter((i) => !i.external && i.kind === "import-statement").map((i) => rel(i.path))],
};
writeFileSync(path.join(out, "manifest.json"), JSON.stringify(manifest, null, 2));
console.log(`built ${files.length} files into ${out}: JS ${(manifest.jsBytes / 1024).toFixed(0)} KiB, ${(manifest.jsGzipBytes / 1024).toFixed(0)} KiB gzipped`);

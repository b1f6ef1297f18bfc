// The vendor bundle: every pinned package and every shim as one ESM file under <runtime>/vendor/, sharing
// chunks, built once per runtime install (keyed by the lock file, the shims and VENDOR_FORMAT).
import fs from "node:fs";
import path from "node:path";
import {
  ASSET_BASE, ASSET_EXTS, SHIMS, cjsExports, entryModule, esmShape, hashOf, isEsm, loadLexers, nodeModules, requireRt,
  runtimeDir, shimsDir, vendorFile, writeOutputs, transformLocalFonts,
} from "./common.mjs";

const VENDOR_FORMAT = 4; // bump when the vendor layout changes, so old vendor folders are rebuilt
export const vendorDir = path.join(runtimeDir, "vendor");

const runtimePackage = JSON.parse(fs.readFileSync(path.join(runtimeDir, "package.json"), "utf8"));
// Installed for the bundler, the Tailwind runtime or fonts, not imported by apps as they are.
const NOT_VENDORED = new Set(["esbuild", "tw-animate-css", "cjs-module-lexer", "es-module-lexer", "tailwindcss", "geist"]);
const DEPENDENCIES = Object.keys(runtimePackage.dependencies || {}).sort();
/** Every package of the runtime with its installed version. */
export const PINNED = Object.fromEntries(
  DEPENDENCIES.map((name) => {
    try {
      return [name, JSON.parse(fs.readFileSync(path.join(nodeModules, name, "package.json"), "utf8")).version];
    } catch {
      return [name, null];
    }
  }).filter(([, v]) => v),
);
/** Packages an app may import from the vendor bundle (fonts are served by resolver.py, not as modules). */
export const AVAILABLE = DEPENDENCIES.filter((d) => !NOT_VENDORED.has(d) && !d.startsWith("@fontsource"));
const SUBPATHS = [
  "react/jsx-runtime", "react-dom/client", "@hookform/resolvers/zod",
  "geist/font/sans", "geist/font/mono", "geist/font/serif", "geist/font/pixel",
];
export const VENDOR_SPECS = [
  ...new Set([...AVAILABLE, ...SUBPATHS.filter((s) => subpathExists(s)), ...Object.keys(SHIMS)]),
].sort();
export const VENDOR_SET = new Set(VENDOR_SPECS);

function subpathExists(spec) {
  try {
    requireRt.resolve(spec);
    return true;
  } catch {
    return Boolean(exportsTarget(spec));
  }
}

function exportsTarget(spec) {
  // ESM-only subpaths (no "require" condition) are invisible to require.resolve: read the exports map.
  const [scope, rest] = spec.startsWith("@") ? [spec.split("/").slice(0, 2).join("/"), spec.split("/").slice(2)] : [spec.split("/")[0], spec.split("/").slice(1)];
  try {
    const pkg = JSON.parse(fs.readFileSync(path.join(nodeModules, scope, "package.json"), "utf8"));
    return pkg.exports && pkg.exports["./" + rest.join("/")];
  } catch {
    return null;
  }
}

const bundlerDir = path.dirname(new URL(import.meta.url).pathname);

function stampOf() {
  const files = (dir) => fs.readdirSync(dir).sort().flatMap((name) => [name, fs.readFileSync(path.join(dir, name))]);
  return hashOf(String(VENDOR_FORMAT), fs.readFileSync(path.join(runtimeDir, "package-lock.json")), ...files(shimsDir), ...files(bundlerDir));
}

async function entryContents(spec, build, lex) {
  if (SHIMS[spec]) {
    const file = JSON.stringify(path.join(shimsDir, SHIMS[spec]));
    return `export * from ${file};\nimport * as ns from ${file};\nexport default ns.default;\n`;
  }
  const resolved = await build.resolve(spec, { kind: "import-statement", resolveDir: runtimeDir });
  if (resolved.errors.length || !resolved.path) return entryModule(spec);
  const source = fs.readFileSync(resolved.path, "utf8");
  const resolveFrom = async (s, dir) => {
    const r = await build.resolve(s, { kind: "require-call", resolveDir: dir });
    return r.errors.length ? null : r.path;
  };
  if (isEsm(resolved.path, source, lex)) return entryModule(spec, { shape: await esmShape(resolved.path, source, lex, resolveFrom) });
  return entryModule(spec, { names: await cjsExports(resolved.path, resolveFrom, lex) });
}

export async function prepareVendor(esbuild) {
  const stamp = stampOf();
  const stampFile = path.join(vendorDir, "stamp.json");
  try {
    if (JSON.parse(fs.readFileSync(stampFile, "utf8")).stamp === stamp) return { built: false, stamp };
  } catch {}
  const started = performance.now();
  const lex = await loadLexers();
  const tmp = `${vendorDir}.tmp-${process.pid}-${Date.now()}`;
  const plugin = {
    name: "vzero-vendor",
    setup(build) {
      build.onResolve({ filter: /^vendor-entry:/ }, (args) => ({ path: args.path.slice("vendor-entry:".length), namespace: "vendor-entry" }));
      build.onLoad({ filter: /.*/, namespace: "vendor-entry" }, async (args) => ({
        contents: await entryContents(args.path, build, lex),
        resolveDir: runtimeDir,
        loader: "js",
      }));
      // Shims import each other by name so that there is one router, one React.
      build.onResolve({ filter: /^(@vzero\/|next\/|@vercel\/)/ }, (args) =>
        SHIMS[args.path] ? { path: path.join(shimsDir, SHIMS[args.path]) } : undefined,
      );
      // The Tailwind runtime takes Tailwind's stylesheets as text.
      build.onResolve({ filter: /^vzero-text:/ }, (args) => ({ path: requireRt.resolve(args.path.slice("vzero-text:".length)), namespace: "vzero-text" }));
      build.onLoad({ filter: /.*/, namespace: "vzero-text" }, (args) => ({ contents: fs.readFileSync(args.path, "utf8"), loader: "text" }));
      build.onLoad({ filter: /\.(m?js|cjs)$/ }, (args) => {
        if (args.namespace !== "file" || !args.path.includes(`${path.sep}geist${path.sep}`)) return undefined;
        return { contents: transformLocalFonts(fs.readFileSync(args.path, "utf8")), loader: "js", resolveDir: path.dirname(args.path) };
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: VENDOR_SPECS.map((spec) => ({ in: `vendor-entry:${spec}`, out: vendorFile(spec).slice(0, -3) })),
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    minify: true,
    write: false,
    outdir: tmp,
    chunkNames: "chunks/[name]-[hash]",
    assetNames: "chunks/asset-[name]-[hash]",
    publicPath: ASSET_BASE,
    loader: Object.fromEntries(ASSET_EXTS.map((e) => [e, "file"])),
    nodePaths: [nodeModules],
    jsx: "automatic",
    legalComments: "none",
    define: { "process.env.NODE_ENV": '"production"' },
    logLevel: "silent",
    plugins: [plugin],
  });
  fs.mkdirSync(tmp, { recursive: true });
  writeOutputs(result.outputFiles, tmp);
  fs.copyFileSync(path.join(shimsDir, "overlay.js"), path.join(tmp, "overlay.js"));
  fs.copyFileSync(path.join(shimsDir, "placeholder.svg"), path.join(tmp, "placeholder.svg"));
  fs.writeFileSync(path.join(tmp, "stamp.json"), JSON.stringify({ stamp, specs: VENDOR_SPECS, pinned: PINNED }));
  const old = `${vendorDir}.old-${process.pid}-${Date.now()}`;
  if (fs.existsSync(vendorDir)) fs.renameSync(vendorDir, old);
  try {
    fs.renameSync(tmp, vendorDir);
  } catch {
    // Another process finished first; its folder is as good as ours.
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  fs.rmSync(old, { recursive: true, force: true });
  return { built: true, stamp, ms: performance.now() - started };
}

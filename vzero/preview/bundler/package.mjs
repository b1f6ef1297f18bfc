// Package builds: one npm package (at one version) pre-bundled to ESM, with the entry points apps import.
// Imports of other packages stay bare (the page's import map names the version each app uses), so that a
// library and the app share one copy of React, of three.js, of a context module. Only the package's own
// files are read: nothing outside its folder, and nothing of it runs here.
import fs from "node:fs";
import path from "node:path";
import {
  ASSET_BASE, ASSET_EXTS, cjsExports, cssLoader, entryModule, esmShape, importedNames, isBare, isBuiltin, isEsm, loadLexers, message,
  packageName, polyfillOf, requireInterop, transformLocalFonts, writeOutputs,
} from "./common.mjs";

export function entryFile(sub) {
  return (sub ? sub.replace(/[^A-Za-z0-9._-]+/g, "__") : "index") + ".js";
}

export async function buildPackage(esbuild, req) {
  const started = performance.now();
  const { name, entries, out } = req;
  const nodeModulesDir = path.resolve(req.dir, "node_modules");
  const root = path.join(nodeModulesDir, name);
  const declared = new Set(req.declared || []);
  const lex = await loadLexers();
  const externals = new Set();
  const missing = new Set();
  const fonts = declared.has("next");
  // Names importers take from each entry: a CommonJS entry offers them even when reading it found none (lodash).
  const wanted = req.names || {};
  const vendoredSelf = new Set(req.vendoredSelf || []);
  const sub = (spec) => (spec === name ? "" : spec.slice(name.length + 1));

  const leave = (args, spec) => {
    externals.add(spec);
    return args.kind === "require-call" ? { path: spec, namespace: "vzero-require" } : { path: spec, external: true };
  };

  const plugin = {
    name: "vzero-package",
    setup(build) {
      build.onResolve({ filter: /^pkg-entry:/ }, (args) => ({ path: args.path.slice("pkg-entry:".length), namespace: "pkg-entry" }));
      build.onLoad({ filter: /.*/, namespace: "pkg-entry" }, async (args) => {
        const spec = args.path;
        const resolved = await build.resolve(spec, { kind: "import-statement", resolveDir: nodeModulesDir });
        if (resolved.errors.length || !resolved.path || !resolved.path.startsWith(root + path.sep)) {
          missing.add(spec);
          return { contents: "export {};\n", loader: "js", resolveDir: nodeModulesDir };
        }
        const ext = path.extname(resolved.path).toLowerCase();
        let contents;
        if (ext === ".css") contents = `import ${JSON.stringify(spec)};\n`;
        else if (ext === ".json" || ASSET_EXTS.includes(ext)) contents = `import d from ${JSON.stringify(spec)};\nexport default d;\n`;
        else {
          const source = fs.readFileSync(resolved.path, "utf8");
          const resolveFrom = async (s, dir) => {
            if (isBare(s) && packageName(s) !== name) return null;
            const r = await build.resolve(s, { kind: "require-call", resolveDir: dir });
            return r.errors.length || !r.path.startsWith(root + path.sep) ? null : r.path;
          };
          const external = (s) => packageName(s) !== name && !isBuiltin(s);
          contents = isEsm(resolved.path, source, lex)
            ? entryModule(spec, { shape: await esmShape(resolved.path, source, lex, resolveFrom), external })
            : entryModule(spec, { names: new Set([...(await cjsExports(resolved.path, resolveFrom, lex)), ...(wanted[sub(spec)] || [])]) });
        }
        return { contents, loader: "js", resolveDir: nodeModulesDir };
      });
      requireInterop(build, nodeModulesDir);
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.namespace === "vzero-ns") return { path: args.path, external: true };
        const spec = args.path.split("?")[0];
        if (/^(https?:)?\/\//.test(spec)) return { errors: [{ text: `Cannot import "${spec}": the preview loads nothing from the network` }] };
        if (!isBare(spec)) return undefined;
        // Its own files, through its exports map; but a pinned package's specs the vendor bundle has come from
        // there (react/compiler-runtime must use the page's one React).
        if (packageName(spec) === name && !vendoredSelf.has(spec)) return undefined;
        if (isBuiltin(spec) && !declared.has(spec.replace(/^node:/, "").split("/")[0])) {
          // A Node.js module: its browser stand-in if there is one (as Next.js gives), else nothing.
          const polyfill = polyfillOf(spec);
          return polyfill ? leave(args, polyfill) : { path: spec, namespace: "vzero-empty" };
        }
        return leave(args, spec);
      });
      build.onLoad({ filter: /.*/, namespace: "vzero-empty" }, () => ({ contents: "module.exports = {};\n", loader: "js" }));
      build.onLoad({ filter: /.*/, namespace: "file" }, (args) => {
        if (!args.path.startsWith(root + path.sep)) {
          return { errors: [{ text: `${name} reaches outside its own folder (${path.basename(args.path)})` }] };
        }
        if (fonts && /\.(m?js|cjs)$/.test(args.path)) {
          const source = fs.readFileSync(args.path, "utf8");
          if (source.includes("next/font/local")) return { contents: transformLocalFonts(source), loader: "js", resolveDir: path.dirname(args.path) };
        }
        return undefined;
      });
    },
  };

  let result;
  try {
    result = await esbuild.build({
      entryPoints: entries.map((sub) => ({ in: `pkg-entry:${sub ? `${name}/${sub}` : name}`, out: entryFile(sub).slice(0, -3) })),
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: "es2020",
      minify: true,
      write: false,
      metafile: true,
      outdir: out,
      chunkNames: "chunk-[hash]",
      assetNames: "asset-[name]-[hash]",
      publicPath: ASSET_BASE,
      loader: Object.fromEntries(ASSET_EXTS.map((e) => [e, "file"])),
      nodePaths: [nodeModulesDir],
      mainFields: ["browser", "module", "main"],
      conditions: ["browser", "import", "module", "default"],
      jsx: "automatic",
      legalComments: "none",
      define: { "process.env.NODE_ENV": '"production"', global: "globalThis" },
      logLevel: "silent",
      plugins: [plugin],
    });
  } catch (err) {
    if (!err.errors) throw err;
    return { ok: false, errors: err.errors.map(message), warnings: (err.warnings || []).map(message), durationMs: performance.now() - started };
  }
  // An entry that imports CSS loads the stylesheet esbuild extracted from it.
  const entryJs = new Map();
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (output.entryPoint && output.cssBundle) entryJs.set(path.resolve(file), path.basename(output.cssBundle));
  }
  const outputs = result.outputFiles.map((file) => {
    const css = entryJs.get(file.path);
    if (!css) return file;
    const contents = Buffer.concat([Buffer.from(cssLoader(css)), Buffer.from(file.contents)]);
    return { path: file.path, contents, text: contents.toString("utf8") };
  });
  fs.mkdirSync(out, { recursive: true });
  const written = writeOutputs(outputs, out);
  const names = {};
  for (const file of outputs) {
    if (!file.path.endsWith(".js")) continue;
    for (const [spec, found] of importedNames(typeof file.text === "string" ? file.text : Buffer.from(file.contents).toString(), lex)) {
      if (externals.has(spec)) names[spec] = [...new Set([...(names[spec] || []), ...found])].sort();
    }
  }
  const files = {};
  for (const sub of entries) files[sub] = entryFile(sub);
  return {
    ok: true,
    files,
    missing: [...missing].sort(),
    externals: [...externals].sort(),
    names,
    written: written.length,
    warnings: result.warnings.slice(0, 20).map(message),
    durationMs: performance.now() - started,
  };
}

// Fonts in the preview page, as next/font serves them: @font-face rules for real font files (from the app,
// from npm font packages, or the pinned ones), and classes that set the family or a CSS variable.
let sheet = null;
const added = new Set();

function addCss(css) {
  if (added.has(css)) return;
  added.add(css);
  if (!sheet) {
    sheet = document.createElement("style");
    sheet.setAttribute("data-vzero-fonts", "");
    document.head.appendChild(sheet);
  }
  sheet.appendChild(document.createTextNode(css + "\n"));
}

function hash(text) {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) | 0;
  return (h >>> 0).toString(36);
}

function quote(family) {
  return `'${String(family).replace(/['\\]/g, "")}'`;
}

function list(value) {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

const FORMATS = { woff2: "woff2", woff: "woff", ttf: "truetype", otf: "opentype", eot: "embedded-opentype" };

function formatOf(url) {
  const m = /\.(woff2|woff|ttf|otf|eot)(?:[?#]|$)/i.exec(String(url));
  return m ? FORMATS[m[1].toLowerCase()] : null;
}

/** Add @font-face rules; a face is {src: [[url, format?], ...], weight, style, unicodeRange}. */
export function addFaces(family, faces, display = "swap", declarations = []) {
  for (const face of faces) {
    const src = face.src
      .map(([url, format]) => `url(${JSON.stringify(String(url))})` + ((format || formatOf(url)) ? ` format(${JSON.stringify(format || formatOf(url))})` : ""))
      .join(", ");
    const lines = [`font-family: ${quote(family)}`, `src: ${src}`, `font-display: ${display}`];
    if (face.weight) lines.push(`font-weight: ${face.weight}`);
    if (face.style) lines.push(`font-style: ${face.style}`);
    if (face.unicodeRange) lines.push(`unicode-range: ${face.unicodeRange}`);
    for (const d of declarations || []) if (d && d.prop) lines.push(`${d.prop}: ${d.value}`);
    addCss(`@font-face { ${lines.join("; ")}; }`);
  }
}

/** What a next/font loader returns: {className, variable, style}, with the classes' rules in the page. */
export function fontResult(family, fallback, options = {}) {
  const weights = list(options.weight);
  const styles = list(options.style);
  const stack = [quote(family), ...list(options.fallback).map((f) => (/\s/.test(f) && !/^['"]/.test(f) ? quote(f) : f))];
  if (!options.fallback) stack.push(fallback);
  const fontFamily = stack.join(", ");
  const slug = String(family).replace(/[^A-Za-z0-9]+/g, "_");
  const key = hash(family + JSON.stringify(options));
  const className = `__className_${slug}_${key}`;
  const style = { fontFamily };
  let rule = `font-family: ${fontFamily};`;
  if (weights.length === 1 && !weights[0].includes(" ")) {
    style.fontWeight = Number(weights[0]) || weights[0];
    rule += ` font-weight: ${weights[0]};`;
  }
  if (styles.length === 1) {
    style.fontStyle = styles[0];
    rule += ` font-style: ${styles[0]};`;
  }
  addCss(`.${className} { ${rule} }`);
  let variable = "";
  if (options.variable) {
    variable = `__variable_${slug}_${key}`;
    addCss(`.${variable} { ${options.variable}: ${fontFamily}; }`);
  }
  return { className, variable, style };
}

const GENERIC = { serif: "serif", monospace: "monospace", handwriting: "cursive", display: "system-ui, sans-serif" };

/** next/font/google: `descriptor` lists the family's faces (from an npm font package), or none when unavailable. */
export function googleFont(name, descriptor, options = {}) {
  descriptor = descriptor || {};
  const family = descriptor.family || name.replace(/_/g, " ");
  const faces = descriptor.faces || [];
  const styles = list(options.style);
  const weights = list(options.weight).filter((w) => w !== "variable");
  const wanted = faces.filter((face) => {
    if (styles.length ? !styles.includes(face.style || "normal") : (face.style || "normal") !== "normal") return false;
    if (descriptor.variable || !weights.length) return descriptor.variable || String(face.weight) === "400";
    return weights.includes(String(face.weight));
  });
  addFaces(family, wanted.length ? wanted : faces.filter((f) => (f.style || "normal") === "normal"), options.display || "swap");
  const fallback = GENERIC[descriptor.category] || "ui-sans-serif, system-ui, sans-serif";
  return fontResult(family, fallback, options);
}

/** next/font/local: the src paths were turned into URLs of the font files when the module was bundled. */
export function localFont(options = {}, declaredName = "") {
  const sources = Array.isArray(options.src) ? options.src : [{ path: options.src, weight: options.weight, style: options.style }];
  const first = sources[0] && sources[0].path ? String(sources[0].path) : "";
  const family = declaredName || first.replace(/^.*\//, "").replace(/\.[^.]*$/, "").replace(/[^A-Za-z0-9]+/g, " ").trim() || "Local Font";
  const faces = sources
    .filter((s) => s && s.path)
    .map((s) => ({ src: [[s.path, null]], weight: s.weight ?? options.weight, style: s.style ?? options.style ?? "normal" }));
  addFaces(family, faces, options.display || "swap", options.declarations);
  return fontResult(family, "ui-sans-serif, system-ui, sans-serif", { ...options, weight: undefined, style: undefined });
}

// next/font/local for the offline preview: no font files are fetched; the fallback stack is used.
export default function localFont(options = {}) {
  const family = options.variable ? `var(${options.variable})` : "ui-sans-serif";
  return { className: "", variable: "", style: { fontFamily: `${family}, system-ui, sans-serif` } };
}

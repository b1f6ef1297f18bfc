// next/document (pages router) in the preview: the document is the preview page itself.
export function Html({ children }) {
  return children ?? null;
}
export function Head({ children }) {
  return children ?? null;
}
export function Main() {
  return null;
}
export function NextScript() {
  return null;
}
export default function Document() {
  return null;
}

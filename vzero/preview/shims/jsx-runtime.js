// The JSX runtime app code compiles against: React's, plus what a page outside Next.js needs —
// <html>/<body>/<head> from app/layout.tsx render their children (their attributes go to the real
// document elements) and root-relative URLs ("/logo.png", href="/about") stay inside the preview.
import { useLayoutEffect } from "react";
import { Fragment, jsx as reactJsx, jsxs as reactJsxs } from "react/jsx-runtime";
import { assetUrl, hrefFor } from "./router.js";

function useDocumentElement(element, { className, lang, dir, style }) {
  const styleKey = style && typeof style === "object" ? JSON.stringify(style) : "";
  useLayoutEffect(() => {
    const classes = typeof className === "string" ? className.split(/\s+/).filter(Boolean) : [];
    element.classList.add(...classes);
    if (lang) element.setAttribute("lang", lang);
    if (dir) element.setAttribute("dir", dir);
    const entries = styleKey ? Object.entries(JSON.parse(styleKey)) : [];
    for (const [name, value] of entries) {
      if (name.startsWith("--")) element.style.setProperty(name, String(value));
      else element.style[name] = value;
    }
    return () => {
      element.classList.remove(...classes);
      for (const [name] of entries) {
        if (name.startsWith("--")) element.style.removeProperty(name);
        else element.style[name] = "";
      }
    };
  }, [element, className, lang, dir, styleKey]);
}

function Html(props) {
  useDocumentElement(document.documentElement, props);
  return props.children ?? null;
}

function Body(props) {
  useDocumentElement(document.body, props);
  return props.children ?? null;
}

function Head(props) {
  return props.children ?? null;
}

const DOCUMENT_TAGS = { html: Html, body: Body, head: Head };
const SRC_TAGS = new Set(["img", "source", "video", "audio", "track", "iframe"]);

function rootRelative(value) {
  return typeof value === "string" && value.startsWith("/") && !value.startsWith("//");
}

function Nothing() {
  return null;
}

// Google Fonts stylesheets are answered from npm font packages by the app's entry: no request leaves the preview.
const GOOGLE_FONTS = /^https:\/\/fonts\.(googleapis|gstatic)\.com\//;

function rewrite(type, props) {
  if (type === "link" && typeof props.href === "string" && GOOGLE_FONTS.test(props.href)) return [Nothing, {}];
  if (typeof type !== "string") {
    // A component given src="/x.png" (AvatarImage, a video player) loads it itself: keep it in the preview too.
    return rootRelative(props.src) ? [type, { ...props, src: assetUrl(props.src) }] : [type, props];
  }
  const replacement = DOCUMENT_TAGS[type];
  if (replacement) return [replacement, props];
  if (SRC_TAGS.has(type) && typeof props.src === "string" && props.src.startsWith("/") && !props.src.startsWith("//")) {
    return [type, { ...props, src: assetUrl(props.src) }];
  }
  if (type === "a" && typeof props.href === "string" && props.href.startsWith("/") && !props.href.startsWith("//")) {
    return [type, { ...props, href: hrefFor(props.href) }];
  }
  return [type, props];
}

export function jsx(type, props, key) {
  const [t, p] = rewrite(type, props);
  return reactJsx(t, p, key);
}

export function jsxs(type, props, key) {
  const [t, p] = rewrite(type, props);
  return reactJsxs(t, p, key);
}

export const jsxDEV = jsx;
export { Fragment };

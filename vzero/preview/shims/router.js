// Tiny hash router shared by the Next.js shims: the route lives in location.hash ("#/about?x=1") so
// that relative asset URLs keep resolving against the preview's own base path.
import { createContext, useContext, useMemo, useSyncExternalStore } from "react";

const listeners = new Set();
let current = { pathname: "/", search: "" };

function fromHash() {
  const hash = window.location.hash;
  if (!hash || hash === "#") return { pathname: "/", search: "" };
  if (!hash.startsWith("#/")) return null; // an in-page anchor: the route does not change
  const rest = hash.slice(1);
  const q = rest.indexOf("?");
  const pathname = decodeURI(q < 0 ? rest : rest.slice(0, q)) || "/";
  return { pathname: pathname.length > 1 ? pathname.replace(/\/+$/, "") : pathname, search: q < 0 ? "" : rest.slice(q) };
}

function sync() {
  const next = fromHash();
  if (next && (next.pathname !== current.pathname || next.search !== current.search)) {
    current = next;
    for (const listener of listeners) listener();
  }
}

current = fromHash() || current;
window.addEventListener("hashchange", sync);

export function isExternal(url) {
  return /^([a-z][a-z0-9+.-]*:|\/\/)/i.test(url);
}

/** Turn a Next.js href (string or {pathname, query, hash}) into a string. */
export function formatUrl(href) {
  if (href == null) return "/";
  if (typeof href === "string") return href;
  if (href instanceof URL) return href.toString();
  let url = href.pathname || current.pathname;
  const query = href.query ? new URLSearchParams(href.query).toString() : href.search ? String(href.search).replace(/^\?/, "") : "";
  if (query) url += "?" + query;
  if (href.hash) url += "#" + String(href.hash).replace(/^#/, "");
  return url;
}

function absolute(url) {
  if (url.startsWith("/")) return url;
  const base = current.pathname.endsWith("/") ? current.pathname : current.pathname.replace(/[^/]*$/, "");
  const parts = [];
  for (const part of (base + url).split("/")) {
    if (part === "..") parts.pop();
    else if (part && part !== ".") parts.push(part);
  }
  return "/" + parts.join("/");
}

/** The href an <a> should carry for an app URL. */
export function hrefFor(url) {
  if (isExternal(url) || url.startsWith("#")) return url;
  const hashAt = url.indexOf("#");
  const path = hashAt < 0 ? url : url.slice(0, hashAt);
  if (url.startsWith("?")) return "#" + current.pathname + url;
  return "#" + absolute(path || current.pathname);
}

/** Asset URLs written for the site root ("/logo.png") resolve against the preview's base instead. */
export function assetUrl(src) {
  if (typeof src === "string" && src.startsWith("/") && !src.startsWith("//")) return "." + src;
  return src;
}

export function navigate(href, { replace = false, scroll = true } = {}) {
  const url = formatUrl(href);
  if (isExternal(url)) {
    window.open(url, "_blank", "noopener,noreferrer");
    return;
  }
  if (url.startsWith("#")) {
    const el = document.getElementById(decodeURIComponent(url.slice(1)));
    if (el) el.scrollIntoView({ behavior: "smooth" });
    return;
  }
  const target = hrefFor(url);
  if (replace) {
    history.replaceState(history.state, "", target);
    sync();
  } else if (window.location.hash !== target) {
    window.location.hash = target;
  }
  sync();
  if (scroll) window.scrollTo(0, 0);
}

function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useLocation() {
  return useSyncExternalStore(subscribe, () => current);
}

export function useSearchParamsObject() {
  const { search } = useLocation();
  return useMemo(() => new URLSearchParams(search), [search]);
}

export const ParamsContext = createContext({});

export function useRouteParams() {
  return useContext(ParamsContext);
}

export const router = {
  push: (href, options) => navigate(href, options),
  replace: (href, options) => navigate(href, { ...options, replace: true }),
  back: () => history.back(),
  forward: () => history.forward(),
  refresh: () => {
    for (const listener of listeners) listener();
  },
  prefetch: () => Promise.resolve(),
};

export class NavigationSignal extends Error {
  constructor(kind, url) {
    super(kind === "redirect" ? `NEXT_REDIRECT ${url}` : "NEXT_NOT_FOUND");
    this.kind = kind;
    this.url = url;
    this.digest = kind === "redirect" ? "NEXT_REDIRECT" : "NEXT_NOT_FOUND";
  }
}

/** Match "/a/b" against segments like ["a", ":id", "*rest", "**opt"]; returns params or null. */
export function matchSegments(segments, pathname) {
  const parts = pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const params = {};
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    if (seg.startsWith("**")) {
      params[seg.slice(2)] = parts.slice(i);
      return params;
    }
    if (seg.startsWith("*")) {
      if (i >= parts.length) return null;
      params[seg.slice(1)] = parts.slice(i);
      return params;
    }
    if (i >= parts.length) return null;
    if (seg.startsWith(":")) params[seg.slice(1)] = parts[i];
    else if (seg !== parts[i]) return null;
  }
  return parts.length === segments.length ? params : null;
}

// The workspace's routes, kept in the address bar (every chat and project has its own URL: the API's webUrl).
import { store, useStore } from "./store";

export type Route =
  | { name: "home" }
  | { name: "login"; next: string }
  | { name: "chat"; id: string }
  | { name: "project"; id: string }
  | { name: "settings" }
  | { name: "missing" };

export function parse(pathname: string, search = ""): Route {
  const parts = pathname.split("/").filter(Boolean);
  if (parts.length === 0) return { name: "home" };
  if (parts[0] === "login" && parts.length === 1) {
    const next = new URLSearchParams(search).get("next") ?? "/";
    return { name: "login", next: next.startsWith("/") && !next.startsWith("//") ? next : "/" };
  }
  if (parts[0] === "chats" && parts.length === 2) return { name: "chat", id: parts[1] };
  if (parts[0] === "projects" && parts.length === 2) return { name: "project", id: parts[1] };
  if (parts[0] === "settings" && parts.length === 1) return { name: "settings" };
  return { name: "missing" };
}

const current = store<Route>(parse(location.pathname, location.search));
window.addEventListener("popstate", () => current.set(parse(location.pathname, location.search)));

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (path === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, "", path);
  else history.pushState(null, "", path);
  current.set(parse(location.pathname, location.search));
  window.scrollTo(0, 0);
}

export const useRoute = () => useStore(current);

/** Follow same-origin links inside the app without a page load (modified clicks keep their usual meaning). */
export function interceptLinks(event: MouseEvent): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const anchor = (event.target as Element | null)?.closest?.("a");
  if (!anchor || anchor.target || anchor.hasAttribute("download") || anchor.origin !== location.origin) return;
  if (anchor.getAttribute("href")?.startsWith("#")) return; // an in-page link (the skip link): the browser's job
  if (anchor.pathname.startsWith("/v1/") || anchor.pathname.startsWith("/v2/") || anchor.pathname.startsWith("/auth/")) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}

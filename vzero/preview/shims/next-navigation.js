// next/navigation for the offline preview, on the hash router.
import { useMemo } from "react";
import {
  NavigationSignal, navigate, router, useLocation, useRouteParams, useSearchParamsObject,
} from "./router.js";

export function useRouter() {
  return router;
}

export function usePathname() {
  return useLocation().pathname;
}

export function useSearchParams() {
  return useSearchParamsObject();
}

export function useParams() {
  return useRouteParams();
}

export function useSelectedLayoutSegments() {
  const { pathname } = useLocation();
  return useMemo(() => pathname.split("/").filter(Boolean), [pathname]);
}

export function useSelectedLayoutSegment() {
  return useSelectedLayoutSegments()[0] ?? null;
}

export const RedirectType = { push: "push", replace: "replace" };

export function redirect(url, type = "replace") {
  queueMicrotask(() => navigate(url, { replace: type !== "push" }));
  throw new NavigationSignal("redirect", url);
}

export const permanentRedirect = redirect;

export function notFound() {
  throw new NavigationSignal("notFound");
}

export class ReadonlyURLSearchParams extends URLSearchParams {}

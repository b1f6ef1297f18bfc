// next/router (pages router) for the offline preview, on the hash router.
import { useMemo } from "react";
import { router as base, useLocation, useRouteParams } from "./router.js";

const events = { on() {}, off() {}, emit() {} };

function make(location, params) {
  const query = { ...Object.fromEntries(new URLSearchParams(location.search)), ...params };
  return {
    ...base,
    pathname: location.pathname,
    asPath: location.pathname + location.search,
    route: location.pathname,
    query,
    isReady: true,
    isFallback: false,
    basePath: "",
    events,
    reload: () => window.location.reload(),
    beforePopState() {},
  };
}

export function useRouter() {
  const location = useLocation();
  const params = useRouteParams();
  return useMemo(() => make(location, params), [location, params]);
}

export function withRouter(Component) {
  return function WithRouter(props) {
    return Component({ ...props, router: useRouter() });
  };
}

const Router = { ...base, events };
export default Router;

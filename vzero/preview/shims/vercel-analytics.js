// @vercel/analytics in the preview: the same exports, and nothing is loaded or sent (no network here).
export function Analytics() {
  return null;
}
export function inject() {}
export function track() {}
export function pageview() {}
export function computeRoute(pathname, pathParams) {
  if (!pathname || !pathParams) return pathname;
  let route = pathname;
  for (const [key, value] of Object.entries(pathParams)) {
    const values = Array.isArray(value) ? value : [value];
    route = route.replace(values.join("/"), Array.isArray(value) ? `[...${key}]` : `[${key}]`);
  }
  return route;
}
export default { inject, track, computeRoute };

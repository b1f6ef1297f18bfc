// @vercel/speed-insights in the preview: the same exports, and nothing is loaded or sent.
import { computeRoute } from "./vercel-analytics.js";

export function SpeedInsights() {
  return null;
}
export function injectSpeedInsights() {
  return { setRoute() {} };
}
export { computeRoute };
export default { injectSpeedInsights, computeRoute };

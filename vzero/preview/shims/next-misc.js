// Small parts of Next.js an app may import: next/config, next/web-vitals, next/amp.
export default function getConfig() {
  return { publicRuntimeConfig: {}, serverRuntimeConfig: {} };
}
export function setConfig() {}
export function useReportWebVitals() {}
export function useAmp() {
  return false;
}

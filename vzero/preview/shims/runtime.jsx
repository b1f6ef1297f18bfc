// Mounts the app in the preview page: the Next.js app-router tree (layouts around the matched page),
// or a single component, inside error boundaries that report to the overlay.
import { Component, Suspense, createElement, use, useEffect, useMemo } from "react";
import { createRoot } from "react-dom/client";
import { ParamsContext, matchSegments, useLocation } from "./router.js";

function report(source, error, extra) {
  const hook = window.__vzero;
  if (hook && typeof hook.report === "function") hook.report(source, error, extra);
  else console.error(error);
}

function isSignal(error, digest) {
  return Boolean(error && error.digest === digest);
}

function DefaultNotFound({ pathname }) {
  return (
    <div style={{ padding: 48, textAlign: "center", fontFamily: "ui-sans-serif, system-ui, sans-serif" }}>
      <h1 style={{ fontSize: 24, fontWeight: 600 }}>404</h1>
      <p style={{ color: "#6b7280" }}>This page could not be found{pathname ? `: ${pathname}` : ""}.</p>
    </div>
  );
}

function Crashed({ error }) {
  return (
    <div role="alert" style={{ padding: 24, fontFamily: "ui-monospace, monospace", color: "#b91c1c" }}>
      <strong>This part of the page crashed while rendering.</strong>
      <pre style={{ whiteSpace: "pre-wrap" }}>{String((error && error.message) || error)}</pre>
    </div>
  );
}

export class ErrorBoundary extends Component {
  constructor(props) {
    super(props);
    this.state = { error: null };
  }

  static getDerivedStateFromError(error) {
    return { error };
  }

  componentDidCatch(error, info) {
    if (isSignal(error, "NEXT_REDIRECT") || isSignal(error, "NEXT_NOT_FOUND")) return;
    report("react", error, info && info.componentStack);
  }

  componentDidUpdate(previous) {
    if (previous.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    if (isSignal(error, "NEXT_REDIRECT")) return null;
    if (isSignal(error, "NEXT_NOT_FOUND")) return this.props.notFound ?? <DefaultNotFound />;
    return <Crashed error={error} />;
  }
}

/** A promise React's use() reads synchronously, that also carries the values (Next 14 and 15 styles). */
function settled(value) {
  const promise = Promise.resolve(value);
  promise.status = "fulfilled";
  promise.value = value;
  return Object.assign(promise, value);
}

const wrappers = new WeakMap();

/** The renderable component of a module; async (server-style) components are awaited with use(). */
function componentOf(mod, file) {
  const C = mod && mod.default;
  if (typeof C !== "function" && !(C && typeof C === "object" && C.$$typeof)) {
    return function MissingDefault() {
      throw new Error(`${file} has no default export: export the component as \`export default function ...\``);
    };
  }
  if (typeof C !== "function" || C.constructor.name !== "AsyncFunction") return C;
  if (!wrappers.has(C)) {
    let last = { key: null, promise: null };
    wrappers.set(C, function AsyncComponent(props) {
      const { pathname, search } = useLocation();
      const key = pathname + search;
      if (last.key !== key) last = { key, promise: Promise.resolve(C(props)) };
      return use(last.promise);
    });
  }
  return wrappers.get(C);
}

function titleOf(mods) {
  for (const mod of mods) {
    const t = mod && mod.metadata && mod.metadata.title;
    if (typeof t === "string") return t;
    if (t && typeof t === "object" && (t.absolute || t.default)) return t.absolute || t.default;
  }
  return null;
}

function segmentRank(seg) {
  if (seg.startsWith("**")) return 3;
  if (seg.startsWith("*")) return 2;
  if (seg.startsWith(":")) return 1;
  return 0;
}

function compareRoutes(a, b) {
  const n = Math.max(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i];
    const y = b.segments[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    const d = segmentRank(x) - segmentRank(y);
    if (d) return d;
  }
  return 0;
}

function mount(element) {
  let container = document.getElementById("root");
  if (!container) {
    container = document.createElement("div");
    container.id = "root";
    document.body.appendChild(container);
  }
  const root = createRoot(container, {
    onUncaughtError: (error, info) => report("react", error, info && info.componentStack),
    // redirect() and notFound() are thrown on purpose and caught by a boundary: not errors to log.
    onCaughtError: (error) => {
      if (!isSignal(error, "NEXT_REDIRECT") && !isSignal(error, "NEXT_NOT_FOUND")) console.error(error);
    },
  });
  root.render(element);
  return root;
}

export function mountNext({ routes, notFound, rootLayouts }) {
  const sorted = routes.slice().sort(compareRoutes);
  const NotFoundPage = notFound ? componentOf(notFound, "app/not-found") : null;

  function NextApp() {
    const { pathname, search } = useLocation();
    const match = useMemo(() => {
      for (const route of sorted) {
        const params = matchSegments(route.segments, pathname);
        if (params) return { route, params };
      }
      return null;
    }, [pathname]);
    const searchParams = useMemo(() => Object.fromEntries(new URLSearchParams(search)), [search]);
    const params = match ? match.params : {};
    const layouts = match ? match.route.layouts : rootLayouts;
    const title = titleOf(match ? [match.route.page, ...layouts.slice().reverse()] : layouts);
    useEffect(() => {
      if (title) document.title = title;
    }, [title]);

    const notFoundElement = NotFoundPage ? <NotFoundPage /> : <DefaultNotFound pathname={pathname} />;
    let element = notFoundElement;
    if (match) {
      const Page = componentOf(match.route.page, match.route.file);
      element = <Page key={pathname} params={settled(params)} searchParams={settled(searchParams)} />;
    }
    element = (
      <ErrorBoundary resetKey={pathname + search} notFound={notFoundElement}>
        <Suspense fallback={null}>{element}</Suspense>
      </ErrorBoundary>
    );
    for (const layout of layouts.slice().reverse()) {
      element = createElement(componentOf(layout, "layout"), { params: settled(params) }, element);
    }
    return <ParamsContext.Provider value={params}>{element}</ParamsContext.Provider>;
  }

  return mount(
    <ErrorBoundary>
      <Suspense fallback={null}>
        <NextApp />
      </Suspense>
    </ErrorBoundary>,
  );
}

export function mountComponent(mod, file) {
  let Root = componentOf(mod, file);
  if (!(mod && mod.default)) {
    const named = Object.entries(mod || {}).find(([name, value]) => /^[A-Z]/.test(name) && typeof value === "function");
    if (named) Root = componentOf({ default: named[1] }, file);
  }
  return mount(
    <ErrorBoundary>
      <Suspense fallback={null}>
        <Root />
      </Suspense>
    </ErrorBoundary>,
  );
}

// The version's demoUrl in a frame, at a device width, with its errors. The page runs on the preview origin (or
// in a sandbox): it talks to the workspace only through postMessage, checked by origin and source on both sides.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { CircleCheck, ExternalLink, Laptop, Loader, Monitor, RotateCw, Smartphone, Tablet, TriangleAlert, Wrench, X } from "lucide-preact";
import * as api from "../api";
import type { PreviewError, VersionSummary } from "../types";
import { Button, EmptyState, IconButton } from "./ui";

export const DEVICES = [
  { id: "mobile", label: "Mobile", width: 390, icon: <Smartphone size={15} /> },
  { id: "tablet", label: "Tablet", width: 768, icon: <Tablet size={15} /> },
  { id: "desktop", label: "Desktop", width: 0, icon: <Monitor size={15} /> },
  { id: "custom", label: "Custom", width: -1, icon: <Laptop size={15} /> },
] as const;
type Device = (typeof DEVICES)[number]["id"];

const key = (e: PreviewError) => `${e.source}\n${e.message}`;

/** The origin a preview's messages come from: its demoUrl's, or "null" when it is sandboxed on this origin. */
export function previewOrigin(demoUrl: string): string {
  const origin = new URL(demoUrl, location.href).origin;
  return origin === location.origin ? "null" : origin;
}

export function Preview({
  chatId,
  version,
  number,
  generating,
  canFix,
  onFix,
}: {
  chatId: string;
  version: VersionSummary | null;
  number: number;
  generating: boolean;
  canFix: boolean;
  onFix: (errors: PreviewError[]) => void;
}) {
  const [device, setDevice] = useState<Device>("desktop");
  const [custom, setCustom] = useState(1024);
  const [route, setRoute] = useState("/");
  const [routeField, setRouteField] = useState("/");
  const [reloads, setReloads] = useState(0);
  const [recorded, setRecorded] = useState<PreviewError[]>([]);
  const [live, setLive] = useState<PreviewError[]>([]);
  const [panelOpen, setPanelOpen] = useState(false);
  const [loading, setLoading] = useState(true);
  const frame = useRef<HTMLIFrameElement>(null);
  const refetch = useRef(0);
  const demoUrl = version?.status === "completed" ? version.demoUrl : undefined;
  const expected = useMemo(() => (demoUrl ? previewOrigin(demoUrl) : null), [demoUrl]);

  const loadRecorded = () => {
    if (!version || version.status !== "completed") return;
    api.versionErrors(chatId, version.id).then(setRecorded, () => undefined);
  };

  useEffect(() => {
    setRecorded([]);
    setLive([]);
    setRoute("/");
    setRouteField("/");
    setLoading(true);
    loadRecorded();
  }, [chatId, version?.id, version?.status]);

  useEffect(() => {
    if (!expected) return;
    const onMessage = (event: MessageEvent) => {
      // Only the frame's own window, at the preview's origin, may speak to the workspace.
      if (!frame.current || event.source !== frame.current.contentWindow || event.origin !== expected) return;
      const data = event.data;
      if (!data || typeof data !== "object" || data.vzero !== 1 || typeof data.type !== "string") return;
      if (data.type === "vzero:route" || data.type === "vzero:ready") {
        if (typeof data.path === "string" && data.path.startsWith("/")) {
          setRoute(data.path.slice(0, 500));
          setRouteField(data.path.slice(0, 500));
        }
        setLoading(false);
        if (data.type === "vzero:ready") {
          clearTimeout(refetch.current);
          refetch.current = window.setTimeout(loadRecorded, 1500); // what the server recorded while the page loaded
        }
      } else if (data.type === "vzero:error" && data.error && typeof data.error.message === "string") {
        const error: PreviewError = {
          source: String(data.error.source ?? "window").slice(0, 20),
          message: data.error.message.slice(0, 2000),
          stack: typeof data.error.stack === "string" ? data.error.stack.slice(0, 8000) : undefined,
        };
        setLive((list) => (list.some((e) => key(e) === key(error)) || list.length >= 50 ? list : [...list, error]));
        clearTimeout(refetch.current);
        refetch.current = window.setTimeout(loadRecorded, 800); // the page also reports it to the server
      }
    };
    window.addEventListener("message", onMessage);
    return () => {
      window.removeEventListener("message", onMessage);
      clearTimeout(refetch.current);
    };
  }, [expected, version?.id]);

  const errors = useMemo(() => {
    const seen = new Set<string>();
    return [...recorded, ...live].filter((e) => (seen.has(key(e)) ? false : (seen.add(key(e)), true)));
  }, [recorded, live]);
  useEffect(() => {
    if (errors.length && !panelOpen) setPanelOpen(true);
  }, [errors.length > 0]);

  const width = device === "custom" ? custom : DEVICES.find((d) => d.id === device)!.width;
  const send = (message: Record<string, unknown>) => {
    if (expected && frame.current?.contentWindow) frame.current.contentWindow.postMessage({ ...message, vzero: 1 }, expected === "null" ? "*" : expected);
  };
  const reload = () => {
    setLive([]);
    setLoading(true);
    setReloads((n) => n + 1);
  };
  // Same-origin previews (sandboxed) must not get allow-same-origin: they would share this origin.
  const sandbox = `allow-scripts allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-downloads${expected && expected !== "null" ? " allow-same-origin" : ""}`;

  return (
    <div class="preview">
      <div class="toolbar" role="toolbar" aria-label="Preview tools">
        <div class="segmented" role="radiogroup" aria-label="Device width">
          {DEVICES.map((d) => (
            <button
              key={d.id}
              type="button"
              role="radio"
              aria-checked={device === d.id}
              aria-label={d.label}
              title={d.width > 0 ? `${d.label} (${d.width} px)` : d.label}
              onClick={() => setDevice(d.id)}
            >
              {d.icon}
            </button>
          ))}
        </div>
        {device === "custom" && (
          <label class="custom-width">
            <span class="visually-hidden">Custom width in pixels</span>
            <input
              type="number"
              class="input input-sm"
              min={240}
              max={3840}
              step={10}
              value={custom}
              onChange={(e) => setCustom(Math.max(240, Math.min(3840, Number((e.target as HTMLInputElement).value) || 1024)))}
            />
            <span class="muted">px</span>
          </label>
        )}
        <form
          class="address"
          onSubmit={(e) => {
            e.preventDefault();
            const path = routeField.startsWith("/") ? routeField : `/${routeField}`;
            send({ type: "vzero:navigate", path });
          }}
        >
          <label class="visually-hidden" for="preview-route">
            Page path
          </label>
          <input id="preview-route" class="address-input" value={routeField} spellcheck={false} disabled={!demoUrl} onInput={(e) => setRouteField((e.target as HTMLInputElement).value)} />
        </form>
        <IconButton label="Reload preview" onClick={reload} disabled={!demoUrl}>
          <RotateCw size={15} />
        </IconButton>
        {demoUrl ? (
          <a class="icon-btn" href={`${demoUrl}${route !== "/" ? `#${route}` : ""}`} target="_blank" rel="noopener noreferrer" aria-label="Open preview in a new tab" title="Open preview in a new tab">
            <ExternalLink size={15} />
          </a>
        ) : (
          <IconButton label="Open preview in a new tab" disabled>
            <ExternalLink size={15} />
          </IconButton>
        )}
        <button
          type="button"
          class={`tool-btn errors-btn ${errors.length ? "has-errors" : ""}`}
          aria-expanded={panelOpen}
          aria-controls="preview-errors"
          onClick={() => setPanelOpen(!panelOpen)}
        >
          {errors.length ? <TriangleAlert size={14} aria-hidden="true" /> : <CircleCheck size={14} aria-hidden="true" />}
          <span>{errors.length === 1 ? "1 error" : `${errors.length} errors`}</span>
        </button>
      </div>
      <div class="stage">
        {!version ? (
          <EmptyState icon={<Monitor size={28} />} title="No preview yet">
            {generating ? "The first version is being written." : "Send a message to build something."}
          </EmptyState>
        ) : version.status === "pending" ? (
          <EmptyState icon={<Loader size={28} class="spin" />} title={`Writing version ${number}…`}>
            The preview appears when the reply finishes.
          </EmptyState>
        ) : version.status === "failed" ? (
          <EmptyState icon={<TriangleAlert size={28} />} title={`Version ${number} failed`}>
            Its reply did not finish; the versions before it are unchanged.
          </EmptyState>
        ) : (
          <div class={`device device-${device}`} style={width > 0 ? { width: `${width}px` } : undefined}>
            {loading && <div class="stage-loading" aria-hidden="true" />}
            <iframe
              key={`${version.id}-${reloads}`}
              ref={frame}
              title="Preview"
              src={demoUrl}
              sandbox={sandbox}
              allow="clipboard-write"
              referrerpolicy="no-referrer"
              onLoad={() => setLoading(false)}
            />
          </div>
        )}
        {width > 0 && demoUrl && <p class="device-size" aria-live="polite">{width} px</p>}
      </div>
      {panelOpen && (
        <section id="preview-errors" class="error-panel" aria-label="Preview errors">
          <header class="error-head">
            <h2>
              {errors.length ? `${errors.length} error${errors.length === 1 ? "" : "s"} in version ${number}` : `No errors in version ${number}`}
            </h2>
            <div class="row">
              {errors.length > 0 && canFix && (
                <Button variant="primary" size="sm" onClick={() => onFix(errors)} disabled={generating}>
                  <Wrench size={13} aria-hidden="true" /> Fix
                </Button>
              )}
              <IconButton label="Close errors" onClick={() => setPanelOpen(false)}>
                <X size={14} />
              </IconButton>
            </div>
          </header>
          {errors.length > 0 && (
            <ol class="error-list">
              {errors.map((e) => (
                <li key={key(e)} class="error-item">
                  <span class={`badge badge-${e.source === "build" ? "error" : "warn"}`}>{e.source === "build" ? "Build" : "Runtime"}</span>
                  <div>
                    <p class="error-message">
                      {e.file && (
                        <code>
                          {e.file}
                          {e.line ? `:${e.line}:${e.column ?? 1}` : ""}
                        </code>
                      )}{" "}
                      {e.message}
                    </p>
                    {(e.text || e.stack) && <pre class="error-stack">{(e.text || e.stack)!.split("\n").slice(0, 8).join("\n")}</pre>}
                  </div>
                </li>
              ))}
            </ol>
          )}
        </section>
      )}
    </div>
  );
}

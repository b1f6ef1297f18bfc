// The code of a version: the file tree, the editor (save makes a new version), locks, changes and download.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { Download, FileDiff, Lock, LockOpen, Save } from "lucide-preact";
import * as api from "../api";
import { toast } from "../state";
import type { FileDetail, VersionDetail, VersionSummary } from "../types";
import type { Editor } from "../editor";
import { DiffView } from "./Diff";
import { FileTree } from "./FileTree";
import { Button, EmptyState, Spinner } from "./ui";

export function Code({
  chatId,
  version,
  parent,
  number,
  writable,
  generating,
  openPath,
  load,
  onSaved,
}: {
  chatId: string;
  version: VersionSummary | null;
  parent: VersionSummary | null;
  number: number;
  writable: boolean;
  generating: boolean;
  openPath: string | null;
  load: (id: string) => Promise<VersionDetail>;
  onSaved: (detail: VersionDetail, note: string) => void;
}) {
  const [detail, setDetail] = useState<VersionDetail | null>(null);
  const [parentFiles, setParentFiles] = useState<FileDetail[] | null>(null);
  const [path, setPath] = useState<string | null>(null);
  const [edits, setEdits] = useState<Map<string, string>>(new Map());
  const [showChanges, setShowChanges] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<Editor | null>(null);
  const editsRef = useRef(edits);
  editsRef.current = edits;
  const saveRef = useRef<() => void>(() => undefined);

  useEffect(() => {
    setError(null);
    setEdits(new Map());
    if (!version || version.status !== "completed") {
      setDetail(null);
      return;
    }
    let current = true;
    load(version.id).then(
      (d) => current && setDetail(d),
      (e) => current && setError((e as Error).message),
    );
    return () => {
      current = false;
    };
  }, [version?.id, version?.status]);

  useEffect(() => {
    setParentFiles(null);
    if (!showChanges || !parent) return;
    load(parent.id).then((d) => setParentFiles(d.files), () => setParentFiles([]));
  }, [showChanges, parent?.id]);

  const files = detail?.files ?? [];
  const filesRef = useRef(files);
  filesRef.current = files;
  useEffect(() => {
    if (!detail) return;
    if (openPath && files.some((f) => f.name === openPath)) setPath(openPath);
    else if (!path || !files.some((f) => f.name === path)) {
      const preferred = ["app/page.tsx", "src/App.tsx", "pages/index.tsx", "index.html"].find((p) => files.some((f) => f.name === p));
      setPath(preferred ?? files[0]?.name ?? null);
    }
  }, [detail, openPath]);

  const file = files.find((f) => f.name === path) ?? null;
  const readOnly = !writable || generating;

  // The editor is created once, on first view (CodeMirror is its own chunk).
  useEffect(() => {
    if (!host.current || showChanges) return;
    let cancelled = false;
    if (!editor.current) {
      import("../editor").then(({ createEditor }) => {
        if (cancelled || !host.current) return;
        editor.current = createEditor(
          host.current,
          (p, text) =>
            setEdits((old) => {
              const original = filesRef.current.find((f) => f.name === p)?.content;
              const next = new Map(old);
              if (text === original) next.delete(p);
              else next.set(p, text);
              return next;
            }),
          () => saveRef.current(),
        );
        if (file) editor.current.show(file.name, editsRef.current.get(file.name) ?? file.content, readOnly);
      });
    } else if (file) {
      editor.current.show(file.name, edits.get(file.name) ?? file.content, readOnly);
    }
    return () => {
      cancelled = true;
    };
  }, [file, readOnly, showChanges, detail]);
  useEffect(() => () => editor.current?.destroy(), []);

  async function write(changes: { name: string; content: string; locked?: boolean }[], note: string) {
    if (!detail) return;
    setSaving(true);
    try {
      const saved = await api.saveFiles(chatId, detail.id, changes);
      setEdits(new Map());
      onSaved(saved, note);
    } catch (e) {
      toast((e as Error).message, { tone: "error" });
    } finally {
      setSaving(false);
    }
  }
  const save = () => {
    if (!edits.size || saving || readOnly) return;
    const changes = [...edits].map(([name, content]) => ({ name, content, locked: files.find((f) => f.name === name)?.locked }));
    void write(changes, `Saved ${changes.map((c) => c.name).join(", ")}`);
  };
  saveRef.current = save;
  const toggleLock = (f: FileDetail) => {
    if (readOnly) return;
    void write([{ name: f.name, content: edits.get(f.name) ?? f.content, locked: !f.locked }], `${f.locked ? "Unlocked" : "Locked"} ${f.name}`);
  };
  const dirty = useMemo(() => new Set(edits.keys()), [edits]);

  if (!version) return <EmptyState title="No code yet">Files appear here once a version exists.</EmptyState>;
  if (version.status !== "completed") return <EmptyState title={`Version ${number} is ${version.status}`}>Its files appear when the reply finishes.</EmptyState>;
  if (error) return <EmptyState title="Could not load the files">{error}</EmptyState>;
  if (!detail) return <div class="center"><Spinner label="Loading files" /></div>;

  return (
    <div class="code">
      <div class="code-side">
        <div class="code-side-head">
          <h2>Files</h2>
          <span class="muted">{files.length}</span>
        </div>
        <FileTree files={files} selected={path} dirty={dirty} writable={!readOnly} onOpen={(p) => (setPath(p), setShowChanges(false))} onToggleLock={toggleLock} />
      </div>
      <div class="code-main">
        <div class="toolbar" role="toolbar" aria-label="Code tools">
          <span class="code-path" title={file?.name}>
            {showChanges ? `Changes in version ${number}` : file?.name}
            {!showChanges && file && dirty.has(file.name) && <span class="badge">modified</span>}
            {!showChanges && file?.locked && (
              <span class="badge badge-lock">
                <Lock size={11} aria-hidden="true" /> locked
              </span>
            )}
          </span>
          {file && !showChanges && (
            <Button size="sm" variant="ghost" aria-pressed={file.locked} disabled={readOnly || saving} onClick={() => toggleLock(file)}>
              {file.locked ? <Lock size={13} aria-hidden="true" /> : <LockOpen size={13} aria-hidden="true" />}
              {file.locked ? "Unlock file" : "Lock file"}
            </Button>
          )}
          <Button size="sm" variant="ghost" aria-pressed={showChanges} onClick={() => setShowChanges(!showChanges)}>
            <FileDiff size={13} aria-hidden="true" /> Changes
          </Button>
          <a class="btn btn-ghost btn-sm" href={api.downloadUrl(chatId, version.id)} download>
            <Download size={13} aria-hidden="true" /> Download
          </a>
          {writable && (
            <Button size="sm" variant="primary" onClick={save} disabled={!edits.size || saving || readOnly} title="Save (Ctrl+S)">
              <Save size={13} aria-hidden="true" /> {saving ? "Saving…" : edits.size > 1 ? `Save ${edits.size} files` : "Save"}
            </Button>
          )}
        </div>
        {showChanges ? (
          <div class="changes-scroll">
            {parent ? (
              parentFiles ? <DiffView before={parentFiles} after={files} label={`Version ${number} against version ${number - 1}`} /> : <Spinner label="Loading changes" />
            ) : (
              <DiffView before={[]} after={files} label={`Version ${number} (the first)`} />
            )}
          </div>
        ) : null}
        <div ref={host} class="editor-host" hidden={showChanges} />
      </div>
    </div>
  );
}

// The version's files as a tree (the ARIA tree pattern: arrow keys move and open folders, Enter opens a file,
// L locks or unlocks it); a lock keeps the model from overwriting a file.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { ChevronRight, File, FileCode2, FileJson, FileText, Folder, FolderOpen, Image, Lock, LockOpen } from "lucide-preact";
import type { FileDetail } from "../types";

interface Node {
  name: string;
  path: string;
  file?: FileDetail;
  children: Node[];
}

function build(files: FileDetail[]): Node[] {
  const root: Node = { name: "", path: "", children: [] };
  for (const f of files) {
    let at = root;
    const parts = f.name.split("/");
    parts.forEach((part, i) => {
      const path = parts.slice(0, i + 1).join("/");
      let next = at.children.find((c) => c.name === part && !!c.file === (i === parts.length - 1));
      if (!next) {
        next = { name: part, path, children: [], file: i === parts.length - 1 ? f : undefined };
        at.children.push(next);
      }
      at = next;
    });
  }
  const sort = (n: Node) => {
    n.children.sort((a, b) => (!a.file !== !b.file ? (a.file ? 1 : -1) : a.name.localeCompare(b.name)));
    n.children.forEach(sort);
  };
  sort(root);
  return root.children;
}

function iconFor(name: string) {
  const ext = name.split(".").pop()?.toLowerCase();
  if (["ts", "tsx", "js", "jsx", "mjs", "css", "html"].includes(ext ?? "")) return <FileCode2 size={14} />;
  if (ext === "json") return <FileJson size={14} />;
  if (["md", "mdx", "txt"].includes(ext ?? "")) return <FileText size={14} />;
  if (["png", "jpg", "jpeg", "gif", "svg", "webp", "ico"].includes(ext ?? "")) return <Image size={14} />;
  return <File size={14} />;
}

export function FileTree({
  files,
  selected,
  dirty,
  writable,
  onOpen,
  onToggleLock,
}: {
  files: FileDetail[];
  selected: string | null;
  dirty: Set<string>;
  writable: boolean;
  onOpen: (path: string) => void;
  onToggleLock: (file: FileDetail) => void;
}) {
  const tree = useMemo(() => build(files), [files]);
  const [open, setOpen] = useState<Set<string>>(() => new Set(["app", "components", "src", "pages", "lib"]));
  const [focus, setFocus] = useState<string | null>(null);
  const box = useRef<HTMLUListElement>(null);

  useEffect(() => {
    if (!selected) return;
    const parents = selected.split("/").slice(0, -1).map((_, i, all) => all.slice(0, i + 1).join("/"));
    if (parents.some((p) => !open.has(p))) setOpen((o) => new Set([...o, ...parents]));
  }, [selected]);

  const visible: Node[] = [];
  const walk = (nodes: Node[]) => {
    for (const n of nodes) {
      visible.push(n);
      if (!n.file && open.has(n.path)) walk(n.children);
    }
  };
  walk(tree);
  const current = focus && visible.some((n) => n.path === focus) ? focus : selected && visible.some((n) => n.path === selected) ? selected : visible[0]?.path;

  const move = (path: string | undefined) => {
    if (!path) return;
    setFocus(path);
    requestAnimationFrame(() => box.current?.querySelector<HTMLElement>(`[data-path="${CSS.escape(path)}"]`)?.focus());
  };
  const toggle = (path: string, to?: boolean) =>
    setOpen((o) => {
      const next = new Set(o);
      if (to ?? !next.has(path)) next.add(path);
      else next.delete(path);
      return next;
    });

  const onKey = (e: KeyboardEvent, node: Node) => {
    const at = visible.findIndex((n) => n.path === node.path);
    const parent = node.path.includes("/") ? node.path.slice(0, node.path.lastIndexOf("/")) : null;
    switch (e.key) {
      case "ArrowDown":
        move(visible[at + 1]?.path);
        break;
      case "ArrowUp":
        move(visible[at - 1]?.path);
        break;
      case "Home":
        move(visible[0]?.path);
        break;
      case "End":
        move(visible[visible.length - 1]?.path);
        break;
      case "ArrowRight":
        if (!node.file) open.has(node.path) ? move(node.children[0]?.path) : toggle(node.path, true);
        break;
      case "ArrowLeft":
        if (!node.file && open.has(node.path)) toggle(node.path, false);
        else if (parent) move(parent);
        break;
      case "Enter":
      case " ":
        if (node.file) onOpen(node.path);
        else toggle(node.path);
        break;
      case "l":
      case "L":
        if (node.file && writable) onToggleLock(node.file);
        else return;
        break;
      default:
        return;
    }
    e.preventDefault();
  };

  const render = (nodes: Node[], level: number) =>
    nodes.map((n) => {
      const expanded = !n.file && open.has(n.path);
      const locked = n.file?.locked;
      return (
        <li
          key={n.path}
          role="treeitem"
          data-path={n.path}
          aria-level={level}
          aria-expanded={n.file ? undefined : expanded}
          aria-selected={n.file ? n.path === selected : undefined}
          aria-label={n.file ? `${n.name}${locked ? ", locked" : ""}${dirty.has(n.path) ? ", modified" : ""}` : n.name}
          tabIndex={n.path === current ? 0 : -1}
          class="tree-item"
          onKeyDown={(e) => e.target === e.currentTarget && onKey(e, n)}
          onFocus={(e) => e.target === e.currentTarget && setFocus(n.path)}
        >
          <div
            class={`tree-row ${n.path === selected ? "selected" : ""}`}
            style={{ paddingLeft: `${8 + (level - 1) * 14}px` }}
            onClick={() => (n.file ? onOpen(n.path) : toggle(n.path))}
          >
            {n.file ? (
              <span class="tree-icon" aria-hidden="true">{iconFor(n.name)}</span>
            ) : (
              <>
                <ChevronRight size={13} class={`chevron ${expanded ? "open" : ""}`} aria-hidden="true" />
                <span class="tree-icon" aria-hidden="true">{expanded ? <FolderOpen size={14} /> : <Folder size={14} />}</span>
              </>
            )}
            <span class="tree-name">{n.name}</span>
            {dirty.has(n.path) && <span class="dirty-dot" aria-hidden="true" />}
            {n.file && (
              <button
                type="button"
                class={`lock-toggle ${locked ? "locked" : ""}`}
                tabIndex={-1}
                aria-hidden="true"
                title={locked ? "Locked: the model will not change it (click to unlock)" : "Lock this file"}
                disabled={!writable}
                onClick={(e) => {
                  e.stopPropagation();
                  onToggleLock(n.file!);
                }}
              >
                {locked ? <Lock size={12} /> : <LockOpen size={12} />}
              </button>
            )}
          </div>
          {expanded && (
            <ul role="group">{render(n.children, level + 1)}</ul>
          )}
        </li>
      );
    });

  return (
    <ul ref={box} class="tree" role="tree" aria-label="Files">
      {render(tree, 1)}
    </ul>
  );
}

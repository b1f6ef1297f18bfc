// What changed between two versions: each file added, removed or changed, with +/− line counts and its hunks.
import { useMemo, useState } from "preact/hooks";
import { structuredPatch } from "diff";
import { ChevronRight, FileMinus2, FilePen, FilePlus2 } from "lucide-preact";
import type { FileDetail } from "../types";

export interface FileChange {
  path: string;
  status: "added" | "removed" | "changed" | "lock";
  added: number;
  removed: number;
  hunks: { header: string; lines: string[] }[];
}

export function changesBetween(before: FileDetail[], after: FileDetail[]): FileChange[] {
  const old = new Map(before.map((f) => [f.name, f]));
  const now = new Map(after.map((f) => [f.name, f]));
  const paths = [...new Set([...old.keys(), ...now.keys()])].sort();
  const changes: FileChange[] = [];
  for (const path of paths) {
    const a = old.get(path);
    const b = now.get(path);
    if (a && b && a.content === b.content) {
      if (a.locked !== b.locked) changes.push({ path, status: "lock", added: 0, removed: 0, hunks: [] });
      continue;
    }
    const patch = structuredPatch(path, path, a?.content ?? "", b?.content ?? "", undefined, undefined, { context: 3 });
    let added = 0;
    let removed = 0;
    const hunks = patch.hunks.map((h) => {
      for (const line of h.lines) {
        if (line.startsWith("+")) added++;
        else if (line.startsWith("-")) removed++;
      }
      return { header: `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`, lines: h.lines };
    });
    changes.push({ path, status: !a ? "added" : !b ? "removed" : "changed", added, removed, hunks });
  }
  return changes;
}

export function DiffView({ before, after, label }: { before: FileDetail[] | null; after: FileDetail[]; label: string }) {
  const changes = useMemo(() => changesBetween(before ?? [], after), [before, after]);
  const added = changes.reduce((n, c) => n + c.added, 0);
  const removed = changes.reduce((n, c) => n + c.removed, 0);
  return (
    <div class="diff">
      <p class="diff-summary">
        {label}: {changes.length} file{changes.length === 1 ? "" : "s"} changed,{" "}
        <span class="plus" aria-label={`${added} lines added`}>+{added}</span>{" "}
        <span class="minus" aria-label={`${removed} lines removed`}>−{removed}</span>
      </p>
      {changes.length === 0 && <p class="muted">No changes.</p>}
      <ul class="diff-files">
        {changes.map((c) => (
          <DiffFile key={c.path} change={c} open={changes.length <= 6} />
        ))}
      </ul>
    </div>
  );
}

function DiffFile({ change, open: initially }: { change: FileChange; open: boolean }) {
  const [open, setOpen] = useState(initially);
  const icon = change.status === "added" ? <FilePlus2 size={14} /> : change.status === "removed" ? <FileMinus2 size={14} /> : <FilePen size={14} />;
  return (
    <li class={`diff-file diff-${change.status}`}>
      <button type="button" class="diff-head" aria-expanded={open} onClick={() => setOpen(!open)}>
        <ChevronRight size={14} class="chevron" aria-hidden="true" />
        <span aria-hidden="true">{icon}</span>
        <span class="diff-path">{change.path}</span>
        <span class="diff-status">{change.status === "lock" ? "lock changed" : change.status}</span>
        <span class="plus">+{change.added}</span>
        <span class="minus">−{change.removed}</span>
      </button>
      {open && change.hunks.length > 0 && (
        <div class="diff-body" role="region" aria-label={`Changes in ${change.path}`}>
          {change.hunks.map((h, i) => (
            <div key={i} class="hunk">
              <div class="hunk-head">{h.header}</div>
              {h.lines.map((line, j) => (
                <div key={j} class={`line ${line[0] === "+" ? "add" : line[0] === "-" ? "del" : ""}`}>
                  <span class="sign" aria-hidden="true">{line[0] === " " ? "" : line[0] === "-" ? "−" : line[0]}</span>
                  <span class="visually-hidden">{line[0] === "+" ? "added: " : line[0] === "-" ? "removed: " : ""}</span>
                  <span class="text">{line.slice(1)}</span>
                </div>
              ))}
            </div>
          ))}
        </div>
      )}
    </li>
  );
}

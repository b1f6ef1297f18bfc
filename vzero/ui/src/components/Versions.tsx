// Every version of the chat, newest first: view it, see what changed, restore it (a new version, undoable),
// fork from it, deploy it.
import { useState } from "preact/hooks";
import { Check, Eye, FileDiff, GitFork, History, ImageOff, Loader, Rocket, TriangleAlert } from "lucide-preact";
import type { VersionDetail, VersionSummary } from "../types";
import { DiffView } from "./Diff";
import { Button, Dialog, Spinner, Time } from "./ui";

export function Versions({
  versions,
  selected,
  writable,
  signedIn,
  generating,
  onSelect,
  onRestore,
  onFork,
  onDeploy,
  load,
}: {
  versions: VersionSummary[];
  selected: string | null;
  writable: boolean;
  signedIn: boolean;
  generating: boolean;
  onSelect: (id: string) => void;
  onRestore: (v: VersionSummary, number: number) => void;
  onFork: (v: VersionSummary) => void;
  onDeploy: (v: VersionSummary) => void;
  load: (id: string) => Promise<VersionDetail>;
}) {
  const [diff, setDiff] = useState<{ number: number; after: VersionDetail | null; before: VersionDetail | null } | null>(null);
  const total = versions.length;

  async function showDiff(index: number) {
    const number = total - index;
    setDiff({ number, after: null, before: null });
    const [after, before] = await Promise.all([load(versions[index].id), index + 1 < total ? load(versions[index + 1].id) : Promise.resolve(null)]);
    setDiff({ number, after, before });
  }

  if (!total) return <p class="muted pad">No versions yet.</p>;
  return (
    <div class="versions">
      <ol class="timeline" aria-label="Versions, newest first">
        {versions.map((v, i) => {
          const number = total - i;
          const isLatest = i === 0;
          const done = v.status === "completed";
          return (
            <li key={v.id} class={`version ${v.id === selected ? "selected" : ""}`} aria-current={v.id === selected ? "true" : undefined}>
              <button type="button" class="version-shot" onClick={() => done && onSelect(v.id)} disabled={!done} aria-label={`View version ${number}`}>
                <Shot version={v} />
              </button>
              <div class="version-meta">
                <div class="version-title">
                  <strong>Version {number}</strong>
                  {isLatest && <span class="badge badge-accent">Latest</span>}
                  {v.status === "pending" && (
                    <span class="badge">
                      <Loader size={11} class="spin" aria-hidden="true" /> writing
                    </span>
                  )}
                  {v.status === "failed" && (
                    <span class="badge badge-error">
                      <TriangleAlert size={11} aria-hidden="true" /> failed
                    </span>
                  )}
                  {v.id === selected && (
                    <span class="badge">
                      <Check size={11} aria-hidden="true" /> viewing
                    </span>
                  )}
                </div>
                <Time iso={v.createdAt} />
                <div class="version-actions">
                  <Button size="sm" variant="ghost" onClick={() => onSelect(v.id)} disabled={!done || v.id === selected} aria-label={`View version ${number}`}>
                    <Eye size={13} aria-hidden="true" /> View
                  </Button>
                  <Button size="sm" variant="ghost" onClick={() => void showDiff(i)} disabled={!done} aria-label={`Changes in version ${number}`}>
                    <FileDiff size={13} aria-hidden="true" /> Changes
                  </Button>
                  {writable && !isLatest && (
                    <Button size="sm" variant="ghost" onClick={() => onRestore(v, number)} disabled={!done || generating} aria-label={`Restore version ${number}`}>
                      <History size={13} aria-hidden="true" /> Restore
                    </Button>
                  )}
                  {signedIn && (
                    <Button size="sm" variant="ghost" onClick={() => onFork(v)} disabled={!done} aria-label={`Fork from version ${number}`}>
                      <GitFork size={13} aria-hidden="true" /> Fork
                    </Button>
                  )}
                  {writable && (
                    <Button size="sm" variant="ghost" onClick={() => onDeploy(v)} disabled={!done} aria-label={`Deploy version ${number}`}>
                      <Rocket size={13} aria-hidden="true" /> Deploy
                    </Button>
                  )}
                </div>
              </div>
            </li>
          );
        })}
      </ol>
      <Dialog open={diff !== null} title={diff ? `Changes in version ${diff.number}` : ""} onClose={() => setDiff(null)} wide>
        {diff && (diff.after ? <DiffView before={diff.before?.files ?? []} after={diff.after.files} label={diff.before ? `Against version ${diff.number - 1}` : "The first version"} /> : <Spinner label="Loading changes" />)}
      </Dialog>
    </div>
  );
}

function Shot({ version }: { version: VersionSummary }) {
  const [broken, setBroken] = useState(false);
  if (version.screenshotUrl && !broken) return <img src={version.screenshotUrl} alt="" loading="lazy" onError={() => setBroken(true)} />;
  return (
    <span class="shot-none" aria-hidden="true">
      <ImageOff size={16} />
    </span>
  );
}

// A chat: the conversation beside its workspace (preview, code, versions), with sharing, forking and deploying.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  Code2, Copy, Download, Eye, FolderInput, GitFork, Globe, History, Link2, Lock, MoreHorizontal, PanelLeftOpen, Pencil, Rocket, Star, Trash2, Users,
} from "lucide-preact";
import * as api from "../api";
import { useChat } from "../chatModel";
import { navigate } from "../router";
import { chats, projects, refreshChats, session, toast, upsertChat } from "../state";
import { useStore } from "../store";
import type { Deployment, Privacy, VersionDetail, VersionSummary } from "../types";
import { Code } from "./Code";
import { Logo } from "./Logo";
import { Composer } from "./Composer";
import { Conversation } from "./Conversation";
import { Preview } from "./Preview";
import { Versions } from "./Versions";
import { Button, Dialog, EmptyState, IconButton, Menu, Spinner, Tabs, chatTitle } from "./ui";

type View = "preview" | "code" | "versions";

const PRIVACY: { id: Privacy; label: string; text: string; icon: preact.ComponentChildren }[] = [
  { id: "private", label: "Private", text: "Only you can open it.", icon: <Lock size={14} /> },
  { id: "team", label: "Team", text: "Your team can view it.", icon: <Users size={14} /> },
  { id: "team-edit", label: "Team can edit", text: "Your team can view and change it.", icon: <Users size={14} /> },
  { id: "unlisted", label: "Unlisted", text: "Anyone with the link can view it, without signing in.", icon: <Link2 size={14} /> },
  { id: "public", label: "Public", text: "Anyone can view it, without signing in.", icon: <Globe size={14} /> },
];

export function Chat({ id, sidebarHidden, onShowSidebar }: { id: string; sidebarHidden: boolean; onShowSidebar: () => void }) {
  const model = useChat(id);
  const who = useStore(session);
  const projectList = useStore(projects);
  const signedIn = who.status === "signed-in";
  const { chat, messages, versions, streaming } = model;
  const [view, setView] = useState<View>("preview");
  const [selected, setSelected] = useState<string | null>(null);
  const [pinned, setPinned] = useState(false);
  const [openPath, setOpenPath] = useState<string | null>(null);
  const [sharing, setSharing] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const [deployment, setDeployment] = useState<Deployment | "working" | null>(null);
  const [moving, setMoving] = useState(false);
  const [codeSeen, setCodeSeen] = useState(false);
  const [split, setSplit] = useState(storedSplit); // the code view stays mounted once opened: its edits and editor live on
  const announce = useRef<HTMLParagraphElement>(null);

  const writable = signedIn && !!chat?.permissions.write;
  const owner = signedIn && who.status === "signed-in" && chat?.authorId === who.user.id;
  const latestCompleted = versions.find((v) => v.status === "completed") ?? null;

  // Follow the newest version unless an older one was chosen on purpose.
  useEffect(() => {
    if (!pinned || !versions.some((v) => v.id === selected)) setSelected(latestCompleted?.id ?? versions[0]?.id ?? null);
  }, [versions]);
  useEffect(() => {
    setPinned(false);
    setSelected(null);
    setView("preview");
    setCodeSeen(false);
    setOpenPath(null);
  }, [id]);
  useEffect(() => {
    if (view === "code") setCodeSeen(true);
  }, [view]);
  useEffect(() => {
    if (announce.current) announce.current.textContent = streaming ? "vzero is writing a reply" : messages.length ? "Reply finished" : "";
  }, [!!streaming]);
  useEffect(() => {
    if (chat) document.title = `${model.title ?? chatTitle(chat)} · vzero`;
    return () => {
      document.title = "vzero";
    };
  }, [chat?.name, model.title]);

  const index = versions.findIndex((v) => v.id === selected);
  const version = index >= 0 ? versions[index] : null;
  const number = index >= 0 ? versions.length - index : 0;
  const parent = index >= 0 && index + 1 < versions.length ? versions[index + 1] : null;
  const title = model.title ?? (chat ? chatTitle(chat) : "");

  const select = (vid: string) => {
    setSelected(vid);
    setPinned(vid !== latestCompleted?.id);
    setView("preview");
  };
  const onSaved = (detail: VersionDetail, note: string) => {
    model.remember(detail);
    setPinned(false);
    toast(`${note}: version ${versions.length + 1}`, { tone: "success" });
    void model.reload();
  };
  async function restore(v: VersionSummary, n: number) {
    const before = versions[0];
    const beforeNumber = versions.length;
    try {
      const restored = await api.restoreVersion(id, v.id);
      model.remember(restored);
      setPinned(false);
      await model.reload();
      toast(`Restored version ${n} as version ${beforeNumber + 1}`, {
        tone: "success",
        action: {
          label: "Undo",
          run: async () => {
            try {
              await api.restoreVersion(id, before.id);
              await model.reload();
              toast(`Back to version ${beforeNumber}'s files`, { tone: "success" });
            } catch (e) {
              toast((e as Error).message, { tone: "error" });
            }
          },
        },
      });
    } catch (e) {
      toast((e as Error).message, { tone: "error" });
    }
  }
  async function fork(v: VersionSummary | null) {
    try {
      const forked = await api.forkChat(id, v?.id);
      void refreshChats();
      toast(`Forked into a new chat`, { tone: "success" });
      navigate(`/chats/${forked.id}`);
    } catch (e) {
      toast((e as Error).message, { tone: "error" });
    }
  }
  async function deploy(v: VersionSummary) {
    setDeployment("working");
    try {
      setDeployment(await api.deploy(id, v.id));
    } catch (e) {
      setDeployment(null);
      toast((e as Error).message, { tone: "error" });
    }
  }
  async function favorite() {
    if (!chat) return;
    try {
      await api.favoriteChat(id, !chat.favorite);
      model.setChat({ ...chat, favorite: !chat.favorite });
      upsertChat({ ...chat, favorite: !chat.favorite, latestVersion: chat.latestVersion });
    } catch (e) {
      toast((e as Error).message, { tone: "error" });
    }
  }
  async function remove() {
    if (!chat || !confirm(`Delete “${title}” and all its versions? This cannot be undone.`)) return;
    try {
      await api.deleteChat(id);
      chats.set((list) => list?.filter((c) => c.id !== id) ?? null);
      navigate("/");
    } catch (e) {
      toast((e as Error).message, { tone: "error" });
    }
  }

  const tabs = useMemo(
    () => [
      { id: "preview" as View, label: "Preview", icon: <Eye size={14} aria-hidden="true" /> },
      { id: "code" as View, label: "Code", icon: <Code2 size={14} aria-hidden="true" /> },
      {
        id: "versions" as View,
        label: "Versions",
        icon: <History size={14} aria-hidden="true" />,
        badge: versions.length ? <span class="count">{versions.length}</span> : undefined,
      },
    ],
    [versions.length],
  );

  if (model.failure && !chat) {
    const status = (model.failure as api.ApiError).status;
    return (
      <div class="page-center">
        <EmptyState icon={<Lock size={28} />} title={status === 404 ? "This chat is not here" : "Could not open this chat"}>
          <p>{status === 404 ? (signedIn ? "It was deleted, or it is not shared with you." : "It may be private: sign in to open it.") : model.failure.message}</p>
          {!signedIn && (
            <p>
              <a class="btn btn-primary btn-md" href={`/login?next=${encodeURIComponent(location.pathname)}`}>
                Sign in
              </a>
            </p>
          )}
        </EmptyState>
      </div>
    );
  }
  if (!chat) return <div class="page-center"><Spinner label="Loading chat" /></div>;

  const privacy = PRIVACY.find((p) => p.id === chat.privacy) ?? PRIVACY[0];
  return (
    <div class="chat-page">
      <header class="chat-head">
        {sidebarHidden && signedIn && (
          <IconButton label="Show sidebar" onClick={onShowSidebar}>
            <PanelLeftOpen size={16} />
          </IconButton>
        )}
        {!signedIn && (
          <a href="/" class="brand brand-small" aria-label="vzero">
            <Logo size={20} />
          </a>
        )}
        <div class="chat-title">
          {renaming ? (
            <form
              onSubmit={async (e) => {
                e.preventDefault();
                const name = (new FormData(e.target as HTMLFormElement).get("name") as string).trim();
                setRenaming(false);
                if (!name || name === chat.name) return;
                try {
                  model.setChat(await api.updateChat(id, { name }));
                  void refreshChats();
                } catch (err) {
                  toast((err as Error).message, { tone: "error" });
                }
              }}
            >
              <input name="name" class="input input-sm title-input" aria-label="Chat name" defaultValue={title} autoFocus onBlur={(e) => (e.target as HTMLInputElement).form?.requestSubmit()} />
            </form>
          ) : (
            <h1 title={title}>{title}</h1>
          )}
          {owner ? (
            <button type="button" class="privacy-pill" onClick={() => setSharing(true)} aria-label={`Sharing: ${privacy.label}. Change`}>
              {privacy.icon}
              {privacy.label}
            </button>
          ) : (
            <span class="privacy-pill static">
              {privacy.icon}
              {privacy.label}
            </span>
          )}
          {!writable && <span class="badge">Read-only</span>}
        </div>
        <div class="chat-actions">
          {owner && (
            <IconButton label={chat.favorite ? "Remove from favorites" : "Add to favorites"} pressed={chat.favorite} onClick={favorite}>
              <Star size={16} fill={chat.favorite ? "currentColor" : "none"} />
            </IconButton>
          )}
          {owner && (
            <Button size="sm" onClick={() => setSharing(true)}>
              <Link2 size={14} aria-hidden="true" /> Share
            </Button>
          )}
          {signedIn && (
            <Button size="sm" onClick={() => void fork(version)} disabled={!version}>
              <GitFork size={14} aria-hidden="true" /> Fork
            </Button>
          )}
          {writable && (
            <Button size="sm" variant="primary" onClick={() => version && void deploy(version)} disabled={!version || version.status !== "completed"}>
              <Rocket size={14} aria-hidden="true" /> Deploy
            </Button>
          )}
          {signedIn && (
            <Menu
              label="More actions"
              trigger={<MoreHorizontal size={16} />}
              items={[
                ...(writable ? [{ label: "Rename", icon: <Pencil size={14} />, run: () => setRenaming(true) }] : []),
                ...(version ? [{ label: "Download as zip", icon: <Download size={14} />, run: () => (location.href = api.downloadUrl(id, version.id)) }] : []),
                ...(owner ? [{ label: "Move to project…", icon: <FolderInput size={14} />, run: () => setMoving(true) }] : []),
                ...(owner ? ["-" as const, { label: "Delete chat", icon: <Trash2 size={14} />, danger: true, run: () => void remove() }] : []),
              ]}
            />
          )}
          {!signedIn && (
            <a class="btn btn-primary btn-sm" href={`/login?next=${encodeURIComponent(location.pathname)}`}>
              Sign in to fork
            </a>
          )}
        </div>
      </header>
      <p ref={announce} class="visually-hidden" aria-live="polite" />
      <div class="chat-body" style={{ "--split": `${split}%` }}>
        <section class="conversation" aria-label="Conversation">
          <Conversation
            messages={messages}
            streaming={streaming}
            onOpenFile={(p) => {
              setOpenPath(p);
              setView("code");
            }}
          />
          {writable ? (
            <div class="composer-dock">
              <Composer label="Message" placeholder="Ask for a change…" streaming={!!streaming} onSubmit={model.send} onStop={() => void model.stop()} />
            </div>
          ) : (
            <p class="readonly-note">
              {signedIn ? "You can view this chat; fork it to make changes." : "You are viewing a shared chat. Sign in to fork it and make it yours."}
            </p>
          )}
        </section>
        <Splitter value={split} onChange={setSplit} />
        <section class="workspace" aria-label="Workspace">
          <div class="workspace-head">
            <Tabs tabs={tabs} value={view} onChange={setView} label="Workspace views" idPrefix="ws" />
            {version && (
              <span class="viewing">
                Version {number}
                {pinned && (
                  <button type="button" class="link-btn" onClick={() => (setPinned(false), setSelected(latestCompleted?.id ?? null))}>
                    Back to latest
                  </button>
                )}
              </span>
            )}
          </div>
          <div id="ws-panel-preview" role="tabpanel" aria-labelledby="ws-tab-preview" class="panel" hidden={view !== "preview"}>
            <Preview chatId={id} version={version} number={number} generating={!!streaming} canFix={writable} onFix={(errors) => void model.fix(errors, number)} />
          </div>
          <div id="ws-panel-code" role="tabpanel" aria-labelledby="ws-tab-code" class="panel" hidden={view !== "code"}>
            {view === "code" || codeSeen ? (
              <Code
                chatId={id}
                version={version}
                parent={parent}
                number={number}
                writable={writable}
                generating={!!streaming}
                openPath={openPath}
                load={model.version}
                onSaved={onSaved}
              />
            ) : null}
          </div>
          <div id="ws-panel-versions" role="tabpanel" aria-labelledby="ws-tab-versions" class="panel" hidden={view !== "versions"}>
            {view === "versions" && (
              <Versions
                versions={versions}
                selected={selected}
                writable={writable}
                signedIn={signedIn}
                generating={!!streaming}
                onSelect={select}
                onRestore={(v, n) => void restore(v, n)}
                onFork={(v) => void fork(v)}
                onDeploy={(v) => void deploy(v)}
                load={model.version}
              />
            )}
          </div>
        </section>
      </div>
      {owner && <ShareDialog open={sharing} onClose={() => setSharing(false)} chat={chat} onChange={(c) => model.setChat(c)} />}
      <Dialog open={deployment !== null} title="Deployment" onClose={() => setDeployment(null)}>
        {deployment === "working" ? (
          <p role="status">
            <Spinner label="Deploying" /> Building the deployment…
          </p>
        ) : deployment ? (
          <div class="stack">
            <p>Version {number} is deployed. The deployment keeps running even when the chat moves on.</p>
            <CopyField label="Deployment URL" value={deployment.webUrl} />
            <div class="dialog-actions">
              <a class="btn btn-secondary btn-md" href={deployment.inspectorUrl} target="_blank" rel="noopener noreferrer">
                Build log
              </a>
              <a class="btn btn-primary btn-md" href={deployment.webUrl} target="_blank" rel="noopener noreferrer">
                Open
              </a>
            </div>
          </div>
        ) : null}
      </Dialog>
      <Dialog open={moving} title="Move to project" onClose={() => setMoving(false)}>
        <ul class="option-list">
          {(projectList ?? []).map((p) => (
            <li key={p.id}>
              <button
                type="button"
                class="option"
                aria-current={chat.projectId === p.id ? "true" : undefined}
                onClick={async () => {
                  setMoving(false);
                  try {
                    await api.assignChat(p.id, id);
                    model.setChat({ ...chat, projectId: p.id });
                    void refreshChats();
                    toast(`Moved to ${p.name}`, { tone: "success" });
                  } catch (e) {
                    toast((e as Error).message, { tone: "error" });
                  }
                }}
              >
                {p.name}
              </button>
            </li>
          ))}
        </ul>
        {projectList?.length === 0 && <p class="muted">No projects yet: create one from the sidebar.</p>}
      </Dialog>
    </div>
  );
}

function storedSplit(): number {
  try {
    const value = Number(localStorage.getItem("vzero-split"));
    return value >= 20 && value <= 70 ? value : 34;
  } catch {
    return 34;
  }
}

/** The handle between the conversation and the workspace: drag it, or focus it and use the arrow keys. */
function Splitter({ value, onChange }: { value: number; onChange: (percent: number) => void }) {
  const set = (percent: number) => {
    const clamped = Math.round(Math.min(70, Math.max(20, percent)));
    onChange(clamped);
    try {
      localStorage.setItem("vzero-split", String(clamped));
    } catch {
      // kept for this page only
    }
  };
  const drag = (event: PointerEvent) => {
    const body = (event.currentTarget as HTMLElement).parentElement!;
    const box = body.getBoundingClientRect();
    document.body.classList.add("resizing"); // frames would swallow the pointer
    const move = (e: PointerEvent) => set(((e.clientX - box.left) / box.width) * 100);
    const up = () => {
      document.body.classList.remove("resizing");
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", up);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", up);
    event.preventDefault();
  };
  return (
    <div
      class="splitter"
      role="separator"
      aria-orientation="vertical"
      aria-label="Resize the conversation"
      aria-valuemin={20}
      aria-valuemax={70}
      aria-valuenow={value}
      tabIndex={0}
      onPointerDown={drag}
      onKeyDown={(e) => {
        const step = e.shiftKey ? 10 : 2;
        if (e.key === "ArrowLeft") set(value - step);
        else if (e.key === "ArrowRight") set(value + step);
        else if (e.key === "Home") set(20);
        else if (e.key === "End") set(70);
        else return;
        e.preventDefault();
      }}
    />
  );
}

function ShareDialog({ open, onClose, chat, onChange }: { open: boolean; onClose: () => void; chat: { id: string; privacy: Privacy; webUrl: string }; onChange: (c: any) => void }) {
  const [busy, setBusy] = useState(false);
  const [value, setValue] = useState<Privacy>(chat.privacy);
  useEffect(() => setValue(chat.privacy), [chat.privacy]);
  async function choose(privacy: Privacy) {
    if (privacy === chat.privacy) return;
    setValue(privacy); // shown at once; put back if the server refuses
    setBusy(true);
    try {
      onChange(await api.updateChat(chat.id, { privacy }));
      void refreshChats();
    } catch (e) {
      setValue(chat.privacy);
      toast((e as Error).message, { tone: "error" });
    } finally {
      setBusy(false);
    }
  }
  const shared = value === "public" || value === "unlisted";
  return (
    <Dialog open={open} title="Share this chat" onClose={onClose}>
      <div class="stack">
        <fieldset class="privacy-options" disabled={busy}>
          <legend class="field-label">Who can open it</legend>
          {PRIVACY.map((p) => (
            <label key={p.id} class={`privacy-option ${value === p.id ? "checked" : ""}`}>
              <input type="radio" name="privacy" value={p.id} checked={value === p.id} onChange={() => void choose(p.id)} />
              <span class="privacy-icon" aria-hidden="true">{p.icon}</span>
              <span>
                <strong>{p.label}</strong>
                <span class="muted"> {p.text}</span>
              </span>
            </label>
          ))}
        </fieldset>
        <CopyField label={shared ? "Share link" : "Link (for those who can open it)"} value={chat.webUrl} />
      </div>
    </Dialog>
  );
}

function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const id = `copy-${label.replace(/\W+/g, "-").toLowerCase()}`;
  return (
    <div class="stack-sm">
      <label class="field-label" for={id}>
        {label}
      </label>
      <div class="copy-field">
        <input id={id} class="input" readOnly value={value} onFocus={(e) => (e.target as HTMLInputElement).select()} />
        <Button
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value);
              setCopied(true);
              setTimeout(() => setCopied(false), 1500);
            } catch {
              toast("Copy failed: select the link and copy it.", { tone: "error" });
            }
          }}
        >
          <Copy size={14} aria-hidden="true" /> {copied ? "Copied" : "Copy"}
        </Button>
      </div>
    </div>
  );
}

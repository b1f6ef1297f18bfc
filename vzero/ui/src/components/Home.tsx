// Home: the prompt that starts a chat (optionally from a template, a repository, a zip or uploaded files), and
// the chats and projects to go back to.
import { useEffect, useMemo, useState } from "preact/hooks";
import { Archive, FileUp, FolderGit2, LayoutTemplate, Plus, Star, X } from "lucide-preact";
import * as api from "../api";
import { navigate } from "../router";
import { chats, projects, refreshChats, toast } from "../state";
import { useStore } from "../store";
import type { ChatSummary } from "../types";
import { Composer, type Draft } from "./Composer";
import { Button, Dialog, Menu, Time, chatTitle } from "./ui";

type Source =
  | { kind: "template"; templateId: string; label: string }
  | { kind: "repo"; url: string; branch?: string; label: string }
  | { kind: "zip"; url: string; label: string }
  | { kind: "files"; files: api.InitSource & { type: "files" }; label: string };

const IDEAS = [
  "A landing page for a neighbourhood coffee roaster",
  "A kanban board with drag and drop",
  "A pomodoro timer with a settings dialog",
  "A personal finance dashboard with charts",
];
const SKIPPED = /(^|\/)(node_modules|\.git|\.next|dist|build|\.venv|__pycache__)(\/|$)/;
const MAX_FILES = 2000;

export async function filesFromInput(list: FileList): Promise<api.InitSource & { type: "files" }> {
  const files: ({ name: string; content: string } | { name: string; url: string })[] = [];
  const all = [...list];
  const strip = all.every((f) => f.webkitRelativePath.includes("/")) ? (p: string) => p.slice(p.indexOf("/") + 1) : (p: string) => p;
  for (const file of all) {
    const path = strip(file.webkitRelativePath || file.name);
    if (!path || SKIPPED.test(path) || path.endsWith(".DS_Store")) continue;
    if (files.length >= MAX_FILES) break;
    const bytes = new Uint8Array(await file.arrayBuffer());
    let text: string | null = null;
    if (!bytes.includes(0)) {
      try {
        text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
      } catch {
        text = null;
      }
    }
    if (text !== null) files.push({ name: path, content: text });
    else files.push({ name: path, url: `data:${file.type || "application/octet-stream"};base64,${base64(bytes)}` });
  }
  return { type: "files", files };
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export function Home() {
  const list = useStore(chats);
  const [source, setSource] = useState<Source | null>(null);
  const [choosing, setChoosing] = useState<Source["kind"] | null>(null);
  const [busy, setBusy] = useState(false);
  const [showFavorites, setShowFavorites] = useState(false);

  async function start(draft: Draft): Promise<boolean> {
    setBusy(true);
    try {
      const ask = draft.text
        ? { message: draft.text, attachments: draft.attachments.map((a) => ({ url: a.url })), modelConfiguration: { modelId: draft.model } }
        : null;
      let chatId: string;
      if (source) {
        const init: api.InitSource =
          source.kind === "template"
            ? { type: "template", templateId: source.templateId }
            : source.kind === "repo"
              ? { type: "repo", repo: { url: source.url, ...(source.branch ? { branch: source.branch } : {}) } }
              : source.kind === "zip"
                ? { type: "zip", zip: { url: source.url } }
                : source.files;
        const chat = await api.initChat(init);
        chatId = chat.id;
        if (ask) await api.sendMessage(chatId, ask);
      } else {
        if (!ask) return false;
        chatId = (await api.startChat(ask)).chatId;
      }
      void refreshChats();
      navigate(`/chats/${chatId}`);
      return true;
    } catch (error) {
      toast((error as Error).message, { tone: "error" });
      return false;
    } finally {
      setBusy(false);
    }
  }

  const shown = useMemo(() => (list ?? []).filter((c) => !showFavorites || c.favorite).slice(0, 12), [list, showFavorites]);

  return (
    <div class="home">
      <div class="home-hero">
        <h1>What do you want to build?</h1>
        <p class="muted">Describe an app, a page or a component. vzero writes it, runs it, and keeps every version.</p>
        <Composer
          hero
          autoFocus
          label="Prompt"
          submitLabel="Start chat"
          placeholder="Ask vzero to build…"
          busy={busy}
          allowEmpty={source !== null}
          onSubmit={start}
          tools={
            <Menu
              label="Start from"
              align="start"
              triggerClass="tool-btn"
              trigger={
                <>
                  <Plus size={14} aria-hidden="true" /> <span>Start from</span>
                </>
              }
              items={[
                { label: "A template…", icon: <LayoutTemplate size={14} />, run: () => setChoosing("template") },
                { label: "A Git repository…", icon: <FolderGit2 size={14} />, run: () => setChoosing("repo") },
                { label: "A zip URL…", icon: <Archive size={14} />, run: () => setChoosing("zip") },
                { label: "Files from this computer…", icon: <FileUp size={14} />, run: () => setChoosing("files") },
              ]}
            />
          }
        >
          {source && (
            <div class="source-chip">
              <span>
                Starting from <strong>{source.label}</strong>
              </span>
              <button type="button" class="link-btn" aria-label="Remove the starting point" onClick={() => setSource(null)}>
                <X size={12} />
              </button>
            </div>
          )}
        </Composer>
        {!source && (
          <ul class="ideas" aria-label="Ideas">
            {IDEAS.map((idea) => (
              <li key={idea}>
                <button
                  type="button"
                  class="idea"
                  onClick={() => {
                    const box = document.querySelector<HTMLTextAreaElement>(".composer-hero textarea");
                    if (box) {
                      box.value = idea;
                      box.dispatchEvent(new Event("input", { bubbles: true }));
                      box.focus();
                    }
                  }}
                >
                  {idea}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>

      <section class="home-chats" aria-labelledby="recent-title">
        <div class="section-head">
          <h2 id="recent-title">{showFavorites ? "Favorite chats" : "Recent chats"}</h2>
          <div class="segmented" role="group" aria-label="Show">
            <button type="button" aria-pressed={!showFavorites} onClick={() => setShowFavorites(false)}>
              All
            </button>
            <button type="button" aria-pressed={showFavorites} onClick={() => setShowFavorites(true)}>
              <Star size={12} aria-hidden="true" /> Favorites
            </button>
          </div>
        </div>
        {list === null ? (
          <div class="card-grid" aria-busy="true">
            {[0, 1, 2, 3].map((i) => (
              <div key={i} class="chat-card skeleton" />
            ))}
          </div>
        ) : shown.length === 0 ? (
          <p class="muted">{showFavorites ? "Star a chat to keep it here." : "No chats yet: describe what to build above."}</p>
        ) : (
          <ul class="card-grid">
            {shown.map((c) => (
              <li key={c.id}>
                <ChatCard chat={c} />
              </li>
            ))}
          </ul>
        )}
      </section>
      <SourceDialog kind={choosing} onClose={() => setChoosing(null)} onChoose={(s) => (setSource(s), setChoosing(null))} />
    </div>
  );
}

export function ChatCard({ chat }: { chat: ChatSummary }) {
  const shot = chat.latestVersion?.screenshotUrl;
  const [broken, setBroken] = useState(false);
  const projectName = useStore(projects)?.find((p) => p.id === chat.projectId)?.name;
  return (
    <a href={`/chats/${chat.id}`} class="chat-card">
      <div class="chat-card-shot" aria-hidden="true">
        {shot && !broken ? <img src={shot} alt="" loading="lazy" onError={() => setBroken(true)} /> : <span class="shot-initial">{chatTitle(chat).slice(0, 1).toUpperCase()}</span>}
      </div>
      <div class="chat-card-meta">
        <span class="chat-card-title">
          {chat.favorite && <Star size={12} class="fav-mark" aria-label="Favorite" />}
          {chatTitle(chat)}
        </span>
        <span class="chat-card-sub">
          {projectName ? `${projectName} · ` : ""}
          <Time iso={chat.updatedAt ?? chat.createdAt} />
        </span>
      </div>
    </a>
  );
}

function SourceDialog({ kind, onClose, onChoose }: { kind: Source["kind"] | null; onClose: () => void; onChoose: (source: Source) => void }) {
  const [templates, setTemplates] = useState<{ id: string; name: string }[] | null>(null);
  const [url, setUrl] = useState("");
  const [branch, setBranch] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [reading, setReading] = useState(false);
  useEffect(() => {
    setUrl("");
    setBranch("");
    setError(null);
    if (kind === "template" && templates === null) api.templates().then(setTemplates, (e) => setError((e as Error).message));
  }, [kind]);

  const titles = { template: "Start from a template", repo: "Start from a Git repository", zip: "Start from a zip archive", files: "Start from your files" };
  function submitUrl(e: Event) {
    e.preventDefault();
    if (!/^https?:\/\//i.test(url.trim())) {
      setError("Enter an http(s) URL.");
      return;
    }
    const clean = url.trim();
    if (kind === "repo") onChoose({ kind: "repo", url: clean, branch: branch.trim() || undefined, label: clean.replace(/^https?:\/\/(www\.)?/, "") });
    else onChoose({ kind: "zip", url: clean, label: clean.split("/").pop() || clean });
  }
  async function pick(e: Event) {
    const input = e.target as HTMLInputElement;
    if (!input.files?.length) return;
    setReading(true);
    try {
      const files = await filesFromInput(input.files);
      if (!files.files.length) setError("No files to import (folders such as node_modules are skipped).");
      else onChoose({ kind: "files", files, label: `${files.files.length} file${files.files.length === 1 ? "" : "s"}` });
    } finally {
      setReading(false);
      input.value = "";
    }
  }

  return (
    <Dialog open={kind !== null} title={kind ? titles[kind] : ""} onClose={onClose}>
      {kind === "template" && (
        <div class="stack">
          {templates === null && !error && <p class="muted">Loading templates…</p>}
          <ul class="option-list">
            {(templates ?? []).map((t) => (
              <li key={t.id}>
                <button type="button" class="option" onClick={() => onChoose({ kind: "template", templateId: t.id, label: t.name })}>
                  <LayoutTemplate size={16} aria-hidden="true" />
                  <span>
                    <strong>{t.name}</strong>
                    <span class="muted"> · {t.id}</span>
                  </span>
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      {(kind === "repo" || kind === "zip") && (
        <form class="stack" onSubmit={submitUrl}>
          <label class="field-label" for="source-url">
            {kind === "repo" ? "Repository URL" : "Zip URL"}
          </label>
          <input
            id="source-url"
            class="input"
            type="url"
            placeholder={kind === "repo" ? "https://github.com/owner/repo" : "https://example.com/app.zip"}
            value={url}
            onInput={(e) => setUrl((e.target as HTMLInputElement).value)}
            autoFocus
          />
          {kind === "repo" && (
            <>
              <label class="field-label" for="source-branch">
                Branch <span class="muted">(optional)</span>
              </label>
              <input id="source-branch" class="input" value={branch} onInput={(e) => setBranch((e.target as HTMLInputElement).value)} />
            </>
          )}
          <div class="dialog-actions">
            <Button onClick={onClose}>Cancel</Button>
            <Button type="submit" variant="primary">
              Use it
            </Button>
          </div>
        </form>
      )}
      {kind === "files" && (
        <div class="stack">
          <p class="muted">Text files are imported as they are; images and other binary files too. Folders such as node_modules and .git are skipped.</p>
          <div class="file-picks">
            <label class="btn btn-secondary btn-md">
              <FileUp size={14} aria-hidden="true" /> Choose files
              <input type="file" multiple class="visually-hidden" onChange={pick} />
            </label>
            <label class="btn btn-secondary btn-md">
              <FolderGit2 size={14} aria-hidden="true" /> Choose a folder
              <input type="file" multiple class="visually-hidden" {...{ webkitdirectory: "" }} onChange={pick} />
            </label>
          </div>
          {reading && <p role="status">Reading files…</p>}
        </div>
      )}
      {error && (
        <p class="field-error" role="alert">
          {error}
        </p>
      )}
    </Dialog>
  );
}

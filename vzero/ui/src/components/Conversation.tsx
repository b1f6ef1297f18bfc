// The conversation: each message with its parts (thinking, prose, file operations, tool calls) as they arrive.
import { memo } from "preact/compat";
import { useEffect, useRef, useState } from "preact/hooks";
import {
  Brain, ChevronRight, FileCode2, FileMinus2, FilePen, FilePlus2, FileSearch, Globe, History, Lock, Paperclip, Pencil, Search, Terminal, TriangleAlert,
  Wrench, Sparkles,
} from "lucide-preact";
import type { Message, Part } from "../types";
import { Markdown } from "./Markdown";
import { Time } from "./ui";

const EVENT_TYPES: Record<string, { icon: preact.ComponentChildren; verb: string }> = {
  "edited-file": { icon: <Pencil size={13} />, verb: "Edited" },
  "deleted-file": { icon: <FileMinus2 size={13} />, verb: "Deleted" },
  "reverted-block": { icon: <History size={13} />, verb: "Restored" },
  "moved-file": { icon: <FilePen size={13} />, verb: "Moved" },
  "renamed-file": { icon: <FilePen size={13} />, verb: "Renamed" },
};

export function Conversation({ messages, streaming, onOpenFile }: { messages: Message[]; streaming: string | null; onOpenFile: (path: string) => void }) {
  const end = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const pinned = useRef(true);
  useEffect(() => {
    if (pinned.current) end.current?.scrollIntoView({ block: "end" });
  }, [messages]);
  return (
    <div
      ref={box}
      class="messages"
      onScroll={() => {
        const el = box.current!;
        pinned.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
      }}
    >
      {messages.length === 0 && (
        <div class="conversation-empty">
          <p class="empty-title">No messages yet</p>
          <p class="muted">This chat started from files. Ask for a change below, or look at its preview and code.</p>
        </div>
      )}
      <ol class="message-list" aria-label="Messages">
        {messages.map((m) => (
          <MessageView key={m.id} message={m} live={m.id === streaming} onOpenFile={onOpenFile} />
        ))}
      </ol>
      <div ref={end} />
    </div>
  );
}

const MessageView = memo(function MessageView({ message, live, onOpenFile }: { message: Message; live: boolean; onOpenFile: (path: string) => void }) {
  if (message.role === "user") {
    const event = message.type ? EVENT_TYPES[message.type] : undefined;
    if (event) {
      return (
        <li class="event-line">
          <span aria-hidden="true">{event.icon}</span>
          <span>{message.content}</span>
          <Time iso={message.createdAt} />
        </li>
      );
    }
    return (
      <li class="msg msg-user" aria-label="You">
        {(message.type === "fix-with-v0" || message.type === "auto-fix-with-v0") && (
          <span class="badge badge-warn">
            <Wrench size={11} aria-hidden="true" /> {message.type === "auto-fix-with-v0" ? "Automatic fix" : "Fix request"}
          </span>
        )}
        {message.attachments && message.attachments.length > 0 && (
          <ul class="msg-attachments" aria-label="Attachments">
            {message.attachments.map((a, i) => (
              <li key={i}>
                {((a.contentType ?? "").startsWith("image/") || a.url.startsWith("data:image/")) && !a.url.endsWith(",...") ? (
                  <img src={a.url} alt={a.name ?? "Attached image"} />
                ) : (
                  <span class="chip">
                    <Paperclip size={12} aria-hidden="true" /> {a.name ?? "Attachment"}
                  </span>
                )}
              </li>
            ))}
          </ul>
        )}
        <div class="bubble">{message.type?.includes("fix") ? <pre class="fix-text">{message.content}</pre> : <Markdown text={message.content} />}</div>
      </li>
    );
  }
  const parts = message.parts.length ? message.parts : message.content ? [{ type: "text", text: message.content } as Part] : [];
  const failed = message.finishReason === "error";
  const stopped = message.finishReason === "other";
  return (
    <li class="msg msg-assistant" aria-label="vzero" aria-busy={live || undefined}>
      <div class="msg-avatar" aria-hidden="true">
        <Sparkles size={14} />
      </div>
      <div class={`msg-body ${live ? "live" : ""}`}>
        {groups(parts).map((group) =>
          group.ops ? (
            <div key={group.start} class="ops" role="group" aria-label={`Files, ${group.parts.length}`}>
              {group.parts.map((part, j) => (
                <PartView key={group.start + j} part={part} live={live && group.start + j === parts.length - 1} onOpenFile={onOpenFile} />
              ))}
            </div>
          ) : (
            <PartView key={group.start} part={group.parts[0]} live={live && group.start === parts.length - 1} onOpenFile={onOpenFile} />
          ),
        )}
        {live && parts.length === 0 && (
          <p class="thinking-dots" role="status">
            <span class="dot" />
            <span class="dot" />
            <span class="dot" />
            <span class="visually-hidden">vzero is working</span>
          </p>
        )}
        {failed && (
          <p class="msg-note error">
            <TriangleAlert size={13} aria-hidden="true" /> This reply failed; the previous version is unchanged.
          </p>
        )}
        {stopped && <p class="msg-note">Stopped.</p>}
      </div>
    </li>
  );
});

/** Consecutive file operations form one box; every other part stands alone. */
function groups(parts: Part[]): { start: number; ops: boolean; parts: Part[] }[] {
  const out: { start: number; ops: boolean; parts: Part[] }[] = [];
  parts.forEach((part, i) => {
    const op = part.type === "file-edit" || part.type === "file-read";
    const last = out[out.length - 1];
    if (op && last?.ops) last.parts.push(part);
    else out.push({ start: i, ops: op, parts: [part] });
  });
  return out;
}

function duration(part: { startedAt?: string; finishedAt?: string }): string | null {
  if (!part.startedAt || !part.finishedAt) return null;
  const seconds = Math.max(1, Math.round((Date.parse(part.finishedAt) - Date.parse(part.startedAt)) / 1000));
  return `${seconds}s`;
}

const FILE_OPS = {
  create: { icon: <FilePlus2 size={14} />, verb: "Created" },
  update: { icon: <FilePen size={14} />, verb: "Edited" },
  patch: { icon: <FilePen size={14} />, verb: "Edited" },
  delete: { icon: <FileMinus2 size={14} />, verb: "Deleted" },
  rename: { icon: <FileCode2 size={14} />, verb: "Renamed" },
};

function PartView({ part, live, onOpenFile }: { part: Part; live: boolean; onOpenFile: (path: string) => void }) {
  switch (part.type) {
    case "text":
      return <Markdown text={part.text} />;
    case "thinking":
      return <Thinking text={part.text} live={live && !part.finishedAt} took={duration(part)} />;
    case "file-edit": {
      const op = FILE_OPS[part.operation] ?? FILE_OPS.update;
      const working = live && !part.finishedAt;
      return (
        <div class={`op ${working ? "op-live" : ""}`}>
          <span class="op-icon" aria-hidden="true">{op.icon}</span>
          <span class="op-verb">{working ? (part.operation === "create" ? "Creating" : part.operation === "delete" ? "Deleting" : "Editing") : op.verb}</span>
          {part.operation === "delete" ? (
            <code class="op-path">{part.path}</code>
          ) : (
            <button type="button" class="op-path link-btn" onClick={() => onOpenFile(part.toPath ?? part.path)}>
              {part.path}
              {part.toPath ? ` → ${part.toPath}` : ""}
            </button>
          )}
          {working && <span class="spinner spinner-sm" aria-hidden="true" />}
        </div>
      );
    }
    case "file-read":
      return (
        <div class="op">
          <span class="op-icon" aria-hidden="true">
            <FileSearch size={14} />
          </span>
          <span class="op-verb">Read</span>
          <span class="op-path">{part.paths.join(", ")}</span>
        </div>
      );
    case "search":
      return (
        <div class="op">
          <span class="op-icon" aria-hidden="true">{part.scope === "web" ? <Globe size={14} /> : <Search size={14} />}</span>
          <span class="op-verb">Searched {part.scope === "web" ? "the web" : "the code"}</span>
          <span class="op-path">{part.query}</span>
        </div>
      );
    case "bash":
      return (
        <Details icon={<Terminal size={14} />} summary={<code>{part.command}</code>}>
          {part.output && <pre class="tool-pre">{part.output}</pre>}
          {part.exitCode !== undefined && <p class="muted">Exit code {part.exitCode}</p>}
        </Details>
      );
    case "tool-call":
      return (
        <Details
          icon={part.status === "error" ? <TriangleAlert size={14} /> : <Wrench size={14} />}
          summary={
            <>
              Used <strong>{part.name}</strong>
              {part.status === "error" && <span class="badge badge-error">failed</span>}
            </>
          }
        >
          {part.input !== undefined && <pre class="tool-pre">{JSON.stringify(part.input, null, 2)}</pre>}
          {part.output !== undefined && <pre class="tool-pre">{typeof part.output === "string" ? part.output : JSON.stringify(part.output, null, 2)}</pre>}
        </Details>
      );
    case "agent-action":
      return (
        <div class="op">
          <span class="op-icon" aria-hidden="true">
            <Lock size={14} />
          </span>
          <span class="op-verb">{part.name}</span>
          <span>{part.summary}</span>
        </div>
      );
    default:
      return null;
  }
}

function Thinking({ text, live, took }: { text: string; live: boolean; took: string | null }) {
  const [open, setOpen] = useState(false);
  return (
    <div class={`thinking ${live ? "thinking-live" : ""}`}>
      <button type="button" class="thinking-head" aria-expanded={open || live} onClick={() => setOpen(!open)}>
        <Brain size={14} aria-hidden="true" />
        <span>{live ? "Thinking…" : took ? `Thought for ${took}` : "Thought"}</span>
        <ChevronRight size={14} class="chevron" aria-hidden="true" />
      </button>
      {(open || live) && <div class="thinking-body">{text}</div>}
    </div>
  );
}

function Details({ icon, summary, children }: { icon: preact.ComponentChildren; summary: preact.ComponentChildren; children: preact.ComponentChildren }) {
  return (
    <details class="tool">
      <summary>
        <span class="op-icon" aria-hidden="true">{icon}</span>
        <span>{summary}</span>
      </summary>
      <div class="tool-body">{children}</div>
    </details>
  );
}

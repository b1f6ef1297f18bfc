// The message box: text, attachments (files, pasted or dropped images), model choice, send and stop.
import type { ComponentChildren } from "preact";
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ArrowUp, FileText, Paperclip, Square, X } from "lucide-preact";
import { toast } from "../state";
import { IconButton } from "./ui";

export const MODELS = [
  { id: "v0-mini", label: "v0 Mini", note: "fastest" },
  { id: "v0-pro", label: "v0 Pro", note: "default" },
  { id: "v0-max", label: "v0 Max", note: "most capable" },
  { id: "v0-max-fast", label: "v0 Max Fast", note: "" },
];
const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;
const MAX_ATTACHMENTS = 10;

export interface AttachmentDraft {
  name: string;
  type: string;
  size: number;
  url: string; // a data: URL, sent as is
}

export interface Draft {
  text: string;
  attachments: AttachmentDraft[];
  model: string;
}

function storedModel(): string {
  try {
    return localStorage.getItem("vzero-model") ?? "v0-pro";
  } catch {
    return "v0-pro";
  }
}

export function readAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export function Composer({
  label,
  placeholder,
  submitLabel = "Send",
  streaming = false,
  busy = false,
  disabled = false,
  hero = false,
  autoFocus = false,
  onSubmit,
  onStop,
  tools,
  children,
  allowEmpty = false,
}: {
  label: string;
  placeholder: string;
  submitLabel?: string;
  streaming?: boolean;
  busy?: boolean;
  disabled?: boolean;
  hero?: boolean;
  autoFocus?: boolean;
  onSubmit: (draft: Draft) => Promise<boolean | void> | boolean | void;
  onStop?: () => void;
  tools?: ComponentChildren;
  children?: ComponentChildren;
  allowEmpty?: boolean;
}) {
  const [text, setText] = useState("");
  const [attachments, setAttachments] = useState<AttachmentDraft[]>([]);
  const [model, setModel] = useState(storedModel);
  const [dragging, setDragging] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);
  const picker = useRef<HTMLInputElement>(null);

  useLayoutEffect(() => {
    const el = area.current;
    if (!el) return;
    el.style.height = "auto";
    el.style.height = `${Math.min(el.scrollHeight, hero ? 320 : 240)}px`;
  }, [text, hero]);
  useEffect(() => {
    if (autoFocus) area.current?.focus();
  }, [autoFocus]);

  async function attach(files: Iterable<File>) {
    const added: AttachmentDraft[] = [];
    for (const file of files) {
      if (attachments.length + added.length >= MAX_ATTACHMENTS) {
        toast(`At most ${MAX_ATTACHMENTS} attachments per message.`, { tone: "error" });
        break;
      }
      if (file.size > MAX_ATTACHMENT_BYTES) {
        toast(`${file.name} is larger than 10 MB.`, { tone: "error" });
        continue;
      }
      added.push({ name: file.name || "pasted image", type: file.type, size: file.size, url: await readAsDataUrl(file) });
    }
    if (added.length) setAttachments((list) => [...list, ...added]);
  }

  const empty = !text.trim() && !allowEmpty;
  async function submit(e?: Event) {
    e?.preventDefault();
    if (empty || busy || streaming || disabled) return;
    try {
      localStorage.setItem("vzero-model", model);
    } catch {
      // remembered for this page only
    }
    const sent = await onSubmit({ text: text.trim(), attachments, model });
    if (sent !== false) {
      setText("");
      setAttachments([]);
    }
  }

  return (
    <form
      class={`composer ${hero ? "composer-hero" : ""} ${dragging ? "dragging" : ""}`}
      onSubmit={submit}
      onDragOver={(e) => {
        if (e.dataTransfer?.types.includes("Files")) {
          e.preventDefault();
          setDragging(true);
        }
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        if (e.dataTransfer?.files.length) void attach(e.dataTransfer.files);
      }}
    >
      {children}
      {attachments.length > 0 && (
        <ul class="chips" aria-label="Attachments">
          {attachments.map((a, i) => (
            <li key={i} class="chip">
              {a.type.startsWith("image/") ? <img src={a.url} alt="" class="chip-thumb" /> : <FileText size={14} aria-hidden="true" />}
              <span class="chip-text">{a.name}</span>
              <IconButton label={`Remove ${a.name}`} class="chip-remove" onClick={() => setAttachments((list) => list.filter((_, j) => j !== i))}>
                <X size={12} />
              </IconButton>
            </li>
          ))}
        </ul>
      )}
      <textarea
        ref={area}
        class="composer-input"
        aria-label={label}
        placeholder={placeholder}
        rows={hero ? 3 : 1}
        value={text}
        disabled={disabled}
        onInput={(e) => setText((e.target as HTMLTextAreaElement).value)}
        onKeyDown={(e) => {
          if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            void submit();
          }
        }}
        onPaste={(e) => {
          const files = [...(e.clipboardData?.files ?? [])];
          if (files.length) {
            e.preventDefault();
            void attach(files);
          }
        }}
      />
      <div class="composer-bar">
        <div class="composer-tools">
          <input ref={picker} type="file" multiple hidden onChange={(e) => {
            const input = e.target as HTMLInputElement;
            if (input.files) void attach(input.files);
            input.value = "";
          }} />
          <IconButton label="Attach files" onClick={() => picker.current?.click()} disabled={disabled}>
            <Paperclip size={16} />
          </IconButton>
          {tools}
          <select class="model-select" aria-label="Model" value={model} onChange={(e) => setModel((e.target as HTMLSelectElement).value)} disabled={disabled}>
            {MODELS.map((m) => (
              <option key={m.id} value={m.id}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
        {streaming && onStop ? (
          <button type="button" class="send-btn stop" aria-label="Stop" title="Stop generating" onClick={onStop}>
            <Square size={14} fill="currentColor" />
          </button>
        ) : (
          <button type="submit" class="send-btn" aria-label={submitLabel} title={submitLabel} disabled={empty || busy || disabled}>
            <ArrowUp size={16} />
          </button>
        )}
      </div>
    </form>
  );
}

// A chat as the workspace holds it: the chat, its messages (v2 parts) and versions, and the reply being
// generated, followed live through the v2 resume stream (so a reload, or another tab, picks it up again).
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import * as api from "./api";
import { patch } from "./patch";
import { refreshChats, toast } from "./state";
import type { ChatDetail, Message, Part, PreviewError, VersionDetail, VersionSummary } from "./types";
import type { Draft } from "./components/Composer";

export interface ChatModel {
  chat: ChatDetail | null;
  messages: Message[];
  versions: VersionSummary[];
  failure: api.ApiError | Error | null;
  streaming: string | null;
  title: string | null;
  reload: () => Promise<void>;
  send: (draft: Draft) => Promise<boolean>;
  stop: () => Promise<void>;
  fix: (errors: PreviewError[], version: number) => Promise<void>;
  version: (id: string) => Promise<VersionDetail>;
  remember: (detail: VersionDetail) => void;
  setChat: (chat: ChatDetail) => void;
}

type Loaded = [ChatDetail, Message[], VersionSummary[]];
let early: { chatId: string; loaded: Promise<Loaded> } | null = null;

function fetchChat(chatId: string): Promise<Loaded> {
  return Promise.all([api.getChat(chatId), api.getMessages(chatId), api.getVersions(chatId)]);
}

/** Start reading a chat before the app has rendered (and before it knows who is signed in: the cookie goes
 * with the requests anyway, and a shared chat reads without one), so the chat's first paint waits for no
 * round trip but its own. */
export function prefetchChat(chatId: string): void {
  const loaded = fetchChat(chatId);
  loaded.catch(() => undefined); // the chat view reports a failure when it asks for it
  early = { chatId, loaded };
}

const running = (messages: Message[]) => {
  const last = [...messages].reverse().find((m) => m.role === "assistant");
  return last && last.finishReason === null ? last.id : null;
};

/** The parts after a delta; a delta this client cannot apply leaves them as they were (the reload at the end
 * of the stream reads the whole message). */
function patched(parts: Part[], delta: unknown): Part[] {
  try {
    return patch(parts, delta) as Part[];
  } catch {
    return parts;
  }
}

export function describeErrors(errors: PreviewError[], version: number): string {
  const lines = [`Fix these errors in the preview of version ${version}:`, ""];
  errors.forEach((e, i) => {
    const where = e.file ? `${e.file}${e.line ? `:${e.line}:${e.column ?? 1}` : ""}: ` : "";
    lines.push(`${i + 1}. [${e.source}] ${where}${e.message}`);
    const detail = (e.text || e.stack || "").trim();
    if (detail) lines.push(...detail.split("\n").slice(0, 12).map((l) => `   ${l}`));
    lines.push("");
  });
  return lines.join("\n").trim();
}

export function useChat(chatId: string): ChatModel {
  const [chat, setChat] = useState<ChatDetail | null>(null);
  const [messages, setMessages] = useState<Message[]>([]);
  const [versions, setVersions] = useState<VersionSummary[]>([]);
  const [failure, setFailure] = useState<api.ApiError | Error | null>(null);
  const [streaming, setStreaming] = useState<string | null>(null);
  const [title, setTitle] = useState<string | null>(null);
  const details = useRef(new Map<string, Promise<VersionDetail>>());
  const follower = useRef<AbortController | null>(null);
  const live = useRef<Message[]>([]);
  const frame = useRef(0);
  const shown = useRef(chatId); // the chat on screen: an answer for another one (navigated away from) is dropped
  const retries = useRef(0);

  const show = (next: Message[]) => {
    live.current = next;
    if (!frame.current) {
      frame.current = requestAnimationFrame(() => {
        frame.current = 0;
        setMessages(live.current);
      });
    }
  };

  const load = useCallback(async (): Promise<Message[] | null> => {
    try {
      const loaded = early?.chatId === chatId ? early.loaded : fetchChat(chatId);
      early = null;
      const [detail, list, versionList] = await loaded;
      if (shown.current !== chatId) return null;
      const types = new Map(detail.messages.map((m) => [m.id, m.type]));
      const merged = list.map((m) => ({ ...m, type: types.get(m.id) }));
      if (detail.latestVersion) details.current.set(detail.latestVersion.id, Promise.resolve(detail.latestVersion));
      setChat(detail);
      setVersions(versionList);
      live.current = merged;
      setMessages(merged);
      setFailure(null);
      return merged;
    } catch (error) {
      if (shown.current === chatId) setFailure(error as Error);
      return null;
    }
  }, [chatId]);

  const follow = useCallback(async () => {
    if (follower.current) return;
    const controller = new AbortController();
    follower.current = controller;
    let failed: string | null = null;
    let dropped = false; // the connection broke (not the server refusing): follow again if the reply still runs
    const replayed = new Set<string>(); // the stream replays each reply's parts from the empty array
    try {
      for await (const event of api.resume(chatId, controller.signal)) {
        const kind = event.object as string;
        if (kind === "chat.title" && typeof event.delta === "string") setTitle(event.delta);
        else if (kind === "chat" && event.title) setTitle(event.title);
        else if (kind === "message.parts.chunk") {
          const id = event.id as string;
          setStreaming(id);
          let list = live.current;
          if (!list.some((m) => m.id === id)) {
            list = [...list, { id, chatId, role: "assistant", content: "", parts: [], finishReason: null, createdAt: new Date().toISOString() }];
          }
          const fresh = !replayed.has(id);
          replayed.add(id);
          show(list.map((m) => (m.id === id ? { ...m, parts: patched(fresh ? [] : m.parts, event.delta) } : m)));
        } else if (kind === "error") {
          failed = String(event.message ?? "The reply failed");
        }
      }
    } catch (error) {
      if ((error as Error).name !== "AbortError") {
        dropped = !(error instanceof api.ApiError) && retries.current < 3;
        if (!dropped) failed = (error as Error).message;
      }
    } finally {
      if (follower.current === controller) follower.current = null;
      if (shown.current === chatId) {
        setStreaming(null);
        if (failed) toast(failed, { tone: "error" });
        if (!controller.signal.aborted) {
          const list = await load();
          void refreshChats();
          const id = dropped && list ? running(list) : null;
          if (id) {
            retries.current += 1;
            setStreaming(id);
            setTimeout(() => void follow(), 1000 * retries.current);
          } else {
            retries.current = 0;
          }
        }
      }
    }
  }, [chatId, load]);

  const reload = useCallback(async () => {
    const list = await load();
    const id = list && running(list);
    if (id) {
      setStreaming(id);
      void follow();
    }
  }, [load, follow]);

  useEffect(() => {
    shown.current = chatId;
    details.current = new Map();
    setChat(null);
    setMessages([]);
    setVersions([]);
    setTitle(null);
    setFailure(null);
    void reload();
    const visible = () => {
      if (document.visibilityState === "visible" && !follower.current) void reload();
    };
    document.addEventListener("visibilitychange", visible);
    return () => {
      shown.current = "";
      document.removeEventListener("visibilitychange", visible);
      follower.current?.abort();
      follower.current = null;
      cancelAnimationFrame(frame.current);
      frame.current = 0;
    };
  }, [chatId]);

  const begin = (userText: string, attachments: { url: string; name?: string; contentType?: string }[], messageId: string, type?: string) => {
    const now = new Date().toISOString();
    const user: Message = { id: `local-${now}`, chatId, role: "user", content: userText, parts: [], finishReason: "stop", attachments, createdAt: now, type };
    const reply: Message = { id: messageId, chatId, role: "assistant", content: "", parts: [], finishReason: null, createdAt: now };
    live.current = [...live.current, user, reply];
    setMessages(live.current);
    setStreaming(messageId);
    void follow();
  };

  const send = async (draft: Draft): Promise<boolean> => {
    try {
      const attachments = draft.attachments.map((a) => ({ url: a.url }));
      const { messageId } = await api.sendMessage(chatId, { message: draft.text, attachments, modelConfiguration: { modelId: draft.model } });
      begin(draft.text, draft.attachments.map((a) => ({ url: a.url, name: a.name, contentType: a.type })), messageId);
      return true;
    } catch (error) {
      toast((error as Error).message, { tone: "error" });
      return false;
    }
  };

  const stop = async () => {
    if (!streaming) return;
    try {
      await api.stopMessage(chatId, streaming);
    } catch (error) {
      toast((error as Error).message, { tone: "error" });
    }
  };

  const fix = async (errors: PreviewError[], version: number) => {
    const text = describeErrors(errors, version);
    try {
      const detail = await api.fixErrors(chatId, text);
      const reply = [...detail.messages].reverse().find((m) => m.role === "assistant");
      if (reply) begin(text, [], reply.id, "fix-with-v0");
      else await reload();
    } catch (error) {
      toast((error as Error).message, { tone: "error" });
    }
  };

  const version = (id: string) => {
    let found = details.current.get(id);
    if (!found) {
      found = api.getVersion(chatId, id);
      found.catch(() => details.current.delete(id));
      details.current.set(id, found);
    }
    return found;
  };
  const remember = (detail: VersionDetail) => details.current.set(detail.id, Promise.resolve(detail));

  return { chat, messages, versions, failure, streaming, title, reload, send, stop, fix, version, remember, setChat };
}

// The workspace's only door to the server: vzero's public v1/v2 API (and /auth for the session cookie).
// Every unsafe request carries the session's CSRF token; the cookie itself is HttpOnly and never seen here.
import type {
  ApiKey, ChatDetail, ChatSummary, Deployment, Message, MessageSummaryV1, PreviewError, Privacy, ProjectDetail,
  ProjectSummary, User, VersionDetail, VersionSummary,
} from "./types";

export class ApiError extends Error {
  constructor(public status: number, message: string) {
    super(message);
  }
}

let csrfToken: string | null = null;
let onSignedOut: (() => void) | null = null;

export function setSession(token: string | null, signedOut: (() => void) | null): void {
  csrfToken = token;
  onSignedOut = signedOut;
}

async function failure(response: Response): Promise<ApiError> {
  let message = `${response.status} ${response.statusText}`;
  try {
    const body = await response.json();
    message = body?.error?.message ?? body?.message ?? message;
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401 && csrfToken && onSignedOut) onSignedOut();
  return new ApiError(response.status, message);
}

function headers(method: string, json: boolean, accept = "application/json"): Record<string, string> {
  const h: Record<string, string> = { Accept: accept };
  if (json) h["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && csrfToken) h["X-CSRF-Token"] = csrfToken;
  return h;
}

export async function call<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: headers(method, body !== undefined),
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  if (!response.ok) throw await failure(response);
  return (await response.json()) as T;
}

/** POST to an SSE route and yield each `data:` event as parsed JSON, until the server closes it or [DONE]. */
export async function* events(path: string, body: unknown, signal: AbortSignal): AsyncGenerator<Record<string, any>> {
  const response = await fetch(path, {
    method: "POST",
    headers: { ...headers("POST", body !== undefined, "text/event-stream"), "Cache-Control": "no-cache" },
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
    signal,
  });
  if (!response.ok || !response.body) throw await failure(response);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = frame.split("\n").filter((l) => l.startsWith("data:")).map((l) => l.slice(l.startsWith("data: ") ? 6 : 5)).join("\n");
      if (!data) continue;
      if (data === "[DONE]") return;
      yield JSON.parse(data);
    }
  }
}

const q = (params: Record<string, string | number | undefined>) =>
  new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)])).toString();

// --- session -------------------------------------------------------------------------------------------------
export interface Session {
  user: User;
  csrfToken: string;
  expiresAt: string;
}
export const readSession = () => call<Session>("GET", "/auth/session");
export const signIn = (apiKey: string) => call<Session>("POST", "/auth/login", { apiKey });
export const signOut = () => call<{ signedOut: true }>("POST", "/auth/logout");

// --- chats ---------------------------------------------------------------------------------------------------
export async function allChats(): Promise<ChatSummary[]> {
  const chats: ChatSummary[] = [];
  for (let offset = 0; ; offset += 60) {
    const page = await call<{ data: ChatSummary[] }>("GET", `/v1/chats?${q({ limit: 60, offset })}`);
    chats.push(...page.data);
    if (page.data.length < 60 || offset >= 6000) return chats;
  }
}
export const getChat = (id: string, signal?: AbortSignal) => call<ChatDetail>("GET", `/v1/chats/${id}`, undefined, signal);
export const updateChat = (id: string, change: { name?: string; privacy?: Privacy }) => call<ChatDetail>("PATCH", `/v1/chats/${id}`, change);
export const deleteChat = (id: string) => call<unknown>("DELETE", `/v1/chats/${id}`);
export const favoriteChat = (id: string, isFavorite: boolean) => call<unknown>("PUT", `/v1/chats/${id}/favorite`, { isFavorite });
export const forkChat = (id: string, versionId?: string) => call<ChatDetail>("POST", `/v1/chats/${id}/fork`, versionId ? { versionId } : {});

export async function getMessages(chatId: string, signal?: AbortSignal): Promise<Message[]> {
  const messages: Message[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<{ messages: Message[]; cursor: string | null }>("GET", `/v2/chats/${chatId}/messages?${q({ limit: 100, cursor })}`, undefined, signal);
    messages.push(...page.messages);
    cursor = page.cursor ?? undefined;
  } while (cursor && messages.length < 2000);
  return messages.reverse(); // the API lists newest first
}

export async function getVersions(chatId: string, signal?: AbortSignal): Promise<VersionSummary[]> {
  const versions: VersionSummary[] = [];
  let cursor: string | undefined;
  do {
    const page = await call<{ data: VersionSummary[]; pagination: { hasMore: boolean; nextCursor?: string } }>(
      "GET", `/v1/chats/${chatId}/versions?${q({ limit: 150, cursor })}`, undefined, signal,
    );
    versions.push(...page.data);
    cursor = page.pagination.hasMore ? page.pagination.nextCursor : undefined;
  } while (cursor && versions.length < 3000);
  return versions; // newest first
}
export const getVersion = (chatId: string, versionId: string, signal?: AbortSignal) =>
  call<VersionDetail>("GET", `/v1/chats/${chatId}/versions/${versionId}`, undefined, signal);
export const saveFiles = (chatId: string, versionId: string, files: { name: string; content: string; locked?: boolean }[]) =>
  call<VersionDetail>("PATCH", `/v1/chats/${chatId}/versions/${versionId}`, { files });
export const restoreVersion = (chatId: string, versionId: string) => call<VersionDetail>("POST", `/v1/chats/${chatId}/versions/${versionId}/restore`);
export const versionErrors = (chatId: string, versionId: string) =>
  call<{ data: PreviewError[] }>("GET", `/v1/chats/${chatId}/versions/${versionId}/errors`).then((r) => r.data);
export const downloadUrl = (chatId: string, versionId: string) => `/v1/chats/${chatId}/versions/${versionId}/download?format=zip`;

// --- generation ------------------------------------------------------------------------------------------------
export interface Ask {
  message: string;
  attachments?: { url: string }[];
  modelConfiguration?: { modelId: string };
}
export const startChat = (ask: Ask & { title?: string }) => call<{ chatId: string; messageId: string }>("POST", "/v2/chats/async", ask);
export const sendMessage = (chatId: string, ask: Ask) => call<{ messageId: string }>("POST", `/v2/chats/${chatId}/messages/async`, ask);
export const fixErrors = (chatId: string, message: string, modelId?: string) =>
  call<ChatDetail>("POST", `/v1/chats/${chatId}/messages`, {
    message, action: { type: "fix-with-v0" }, responseMode: "async", ...(modelId ? { modelConfiguration: { modelId } } : {}),
  });
export const resume = (chatId: string, signal: AbortSignal) => events(`/v2/chats/${chatId}/resume`, undefined, signal);
export const stopMessage = (chatId: string, messageId: string) => call<unknown>("POST", `/v2/chats/${chatId}/messages/${messageId}/stop`);

export type InitSource =
  | { type: "template"; templateId: string }
  | { type: "repo"; repo: { url: string; branch?: string } }
  | { type: "zip"; zip: { url: string } }
  | { type: "files"; files: ({ name: string; content: string } | { name: string; url: string })[] };
export const initChat = (source: InitSource & { name?: string; projectId?: string }) => call<ChatDetail>("POST", "/v1/chats/init", source);
export const templates = () => call<{ data: { id: string; name: string }[] }>("GET", "/v1/templates").then((r) => r.data);

// --- projects, deployments, keys ---------------------------------------------------------------------------
export const projects = () => call<{ data: ProjectSummary[] }>("GET", "/v1/projects").then((r) => r.data);
export const getProject = (id: string) => call<ProjectDetail>("GET", `/v1/projects/${id}`);
export const createProject = (name: string) => call<ProjectDetail>("POST", "/v1/projects", { name });
export const assignChat = (projectId: string, chatId: string) => call<unknown>("POST", `/v1/projects/${projectId}/assign`, { chatId });
export const deploy = (chatId: string, versionId: string) => call<Deployment>("POST", "/v1/deployments", { chatId, versionId });
export const apiKeys = () => call<{ data: ApiKey[] }>("GET", "/v1/api-keys").then((r) => r.data);
export const createApiKey = (name: string) => call<ApiKey>("POST", "/v1/api-keys", { name });
export const revokeApiKey = (id: string) => call<unknown>("DELETE", `/v1/api-keys/${id}`);

export type { MessageSummaryV1 };

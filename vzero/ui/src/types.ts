// The API's shapes, as far as the workspace reads them (v1 for chats, versions and projects; v2 for messages).

export type Privacy = "public" | "private" | "team" | "team-edit" | "unlisted";

export interface VersionSummary {
  id: string;
  object: "version";
  status: "pending" | "completed" | "failed";
  demoUrl?: string;
  screenshotUrl?: string;
  createdAt: string;
  updatedAt?: string;
}

export interface FileDetail {
  object: "file";
  name: string;
  content: string;
  locked: boolean;
}

export interface VersionDetail extends VersionSummary {
  files: FileDetail[];
}

export interface MessageSummaryV1 {
  id: string;
  role: "user" | "assistant";
  type: string;
  content: string;
  createdAt: string;
  finishReason?: string;
}

export interface ChatSummary {
  id: string;
  object: "chat";
  name?: string;
  privacy: Privacy;
  favorite: boolean;
  authorId: string;
  projectId?: string;
  webUrl: string;
  createdAt: string;
  updatedAt?: string;
  latestVersion?: VersionSummary;
}

export interface ChatDetail extends Omit<ChatSummary, "latestVersion"> {
  latestVersion?: VersionDetail;
  messages: MessageSummaryV1[];
  text: string;
  permissions: { write: boolean };
  modelConfiguration?: { modelId?: string };
}

export type Part =
  | { type: "text"; text: string; startedAt?: string; finishedAt?: string }
  | { type: "thinking"; text: string; startedAt?: string; finishedAt?: string }
  | { type: "file-read"; paths: string[]; startedAt?: string; finishedAt?: string }
  | { type: "file-edit"; operation: "create" | "update" | "delete" | "rename" | "patch"; path: string; toPath?: string; startedAt?: string; finishedAt?: string }
  | { type: "search"; scope: "repo" | "web"; query: string }
  | { type: "bash"; command: string; output?: string; exitCode?: number }
  | { type: "tool-call"; name: string; input?: unknown; output?: unknown; status: "ok" | "error" }
  | { type: "agent-action"; name: string; summary: string; data?: unknown };

export interface Attachment {
  url: string;
  name?: string;
  contentType?: string;
  size?: number;
}

export interface Message {
  id: string;
  chatId: string;
  role: "user" | "assistant";
  content: string;
  parts: Part[];
  finishReason: string | null;
  attachments?: Attachment[];
  createdAt: string;
  updatedAt?: string;
  /** the v1 type (edited-file, reverted-block, fix-with-v0, ...), merged in from the v1 chat */
  type?: string;
  /** the stream reported an error for it */
  error?: string;
}

export interface ProjectSummary {
  id: string;
  object: "project";
  name: string;
  privacy: string;
  createdAt: string;
  webUrl: string;
}

export interface ProjectDetail extends ProjectSummary {
  description?: string;
  instructions?: string;
  chats: ChatSummary[];
}

export interface User {
  id: string;
  name: string | null;
  email: string;
  teamId: string | null;
}

export interface ApiKey {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt?: string;
  key?: string;
}

export interface PreviewError {
  source: string;
  message: string;
  stack?: string;
  file?: string;
  line?: number;
  column?: number;
  text?: string;
  createdAt?: string;
}

export interface Deployment {
  id: string;
  webUrl: string;
  inspectorUrl: string;
  chatId: string;
  versionId: string;
}

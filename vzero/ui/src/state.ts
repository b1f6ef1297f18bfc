// What the whole workspace shares: who is signed in, the chat and project lists, and the toasts.
import * as api from "./api";
import { navigate } from "./router";
import { store } from "./store";
import type { ChatSummary, ProjectSummary, User } from "./types";

export type SessionState =
  | { status: "loading" }
  | { status: "signed-out" }
  | { status: "signed-in"; user: User; csrfToken: string };

export const session = store<SessionState>({ status: "loading" });
export const chats = store<ChatSummary[] | null>(null);
export const projects = store<ProjectSummary[] | null>(null);

function signedIn(s: api.Session): void {
  api.setSession(s.csrfToken, expired);
  session.set({ status: "signed-in", user: s.user, csrfToken: s.csrfToken });
}

function expired(): void {
  api.setSession(null, null);
  session.set({ status: "signed-out" });
  chats.set(null);
  projects.set(null);
  if (!location.pathname.startsWith("/chats/")) navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
}

export async function loadSession(): Promise<void> {
  try {
    signedIn(await api.readSession());
  } catch {
    api.setSession(null, null);
    session.set({ status: "signed-out" });
  }
}

export async function signIn(key: string): Promise<void> {
  signedIn(await api.signIn(key));
}

export async function signOut(): Promise<void> {
  try {
    await api.signOut();
  } finally {
    api.setSession(null, null);
    session.set({ status: "signed-out" });
    chats.set(null);
    projects.set(null);
    navigate("/login", { replace: true });
  }
}

export async function refreshChats(): Promise<void> {
  try {
    chats.set(await api.allChats());
  } catch (error) {
    toast(`Could not load your chats: ${(error as Error).message}`, { tone: "error" });
  }
}

export async function refreshProjects(): Promise<void> {
  try {
    projects.set(await api.projects());
  } catch (error) {
    toast(`Could not load your projects: ${(error as Error).message}`, { tone: "error" });
  }
}

/** Put a changed chat at the top of the list (or update it in place). */
export function upsertChat(chat: ChatSummary): void {
  chats.set((list) => (list ? [chat, ...list.filter((c) => c.id !== chat.id)] : list));
}

export interface Toast {
  id: number;
  text: string;
  tone: "info" | "error" | "success";
  action?: { label: string; run: () => void };
}
export const toasts = store<Toast[]>([]);
let toastId = 0;

export function toast(text: string, options: { tone?: Toast["tone"]; action?: Toast["action"]; seconds?: number } = {}): void {
  const id = ++toastId;
  toasts.set((list) => [...list.slice(-3), { id, text, tone: options.tone ?? "info", action: options.action }]);
  setTimeout(() => dismiss(id), (options.seconds ?? (options.action ? 10 : 5)) * 1000);
}

export function dismiss(id: number): void {
  toasts.set((list) => list.filter((t) => t.id !== id));
}

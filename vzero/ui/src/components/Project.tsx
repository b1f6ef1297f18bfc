// A project: its chats, and a prompt that starts a new chat in it.
import { useEffect, useState } from "preact/hooks";
import { Folder } from "lucide-preact";
import * as api from "../api";
import { navigate } from "../router";
import { refreshChats, toast } from "../state";
import type { ProjectDetail } from "../types";
import { Composer, type Draft } from "./Composer";
import { ChatCard } from "./Home";
import { EmptyState, Spinner } from "./ui";

export function Project({ id }: { id: string }) {
  const [project, setProject] = useState<ProjectDetail | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setProject(null);
    setFailure(null);
    api.getProject(id).then(
      (p) => {
        setProject(p);
        document.title = `${p.name} · vzero`;
      },
      (e) => setFailure((e as Error).message),
    );
    return () => {
      document.title = "vzero";
    };
  }, [id]);

  async function start(draft: Draft) {
    setBusy(true);
    try {
      const { chatId } = await api.startChat({ message: draft.text, attachments: draft.attachments.map((a) => ({ url: a.url })), modelConfiguration: { modelId: draft.model } });
      await api.assignChat(id, chatId);
      void refreshChats();
      navigate(`/chats/${chatId}`);
      return true;
    } catch (e) {
      toast((e as Error).message, { tone: "error" });
      return false;
    } finally {
      setBusy(false);
    }
  }

  if (failure) return <div class="page-center"><EmptyState icon={<Folder size={28} />} title="Could not open this project">{failure}</EmptyState></div>;
  if (!project) return <div class="page-center"><Spinner label="Loading project" /></div>;
  return (
    <div class="page">
      <header class="page-head">
        <p class="eyebrow">
          <Folder size={14} aria-hidden="true" /> Project
        </p>
        <h1>{project.name}</h1>
        {project.description && <p class="muted">{project.description}</p>}
      </header>
      <Composer label="Prompt" submitLabel="Start chat" placeholder={`Start a chat in ${project.name}…`} busy={busy} onSubmit={start} />
      <section aria-labelledby="project-chats" class="home-chats">
        <div class="section-head">
          <h2 id="project-chats">Chats</h2>
        </div>
        {project.chats.length === 0 ? (
          <p class="muted">No chats in this project yet.</p>
        ) : (
          <ul class="card-grid">
            {project.chats.map((c) => (
              <li key={c.id}>
                <ChatCard chat={c} />
              </li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}

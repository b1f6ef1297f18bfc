// The sidebar: new chat, search, favourites, projects, recent chats, settings, theme and account.
import { useMemo, useState } from "preact/hooks";
import { FolderPlus, Folder, LogOut, Monitor, Moon, PanelLeftClose, Plus, Search, Settings, Star, Sun, User as UserIcon } from "lucide-preact";
import * as api from "../api";
import { navigate, type Route } from "../router";
import { chats, projects, refreshProjects, session, signOut, toast } from "../state";
import { useStore } from "../store";
import { setTheme, theme } from "../theming";
import type { ChatSummary } from "../types";
import { Logo } from "./Logo";
import { Button, Dialog, IconButton, Menu, chatTitle } from "./ui";

export function Sidebar({ route, onCollapse }: { route: Route; onCollapse: () => void }) {
  const list = useStore(chats);
  const projectList = useStore(projects);
  const who = useStore(session);
  const chosenTheme = useStore(theme);
  const [query, setQuery] = useState("");
  const [creating, setCreating] = useState(false);

  const found = useMemo(() => {
    const words = query.toLowerCase().split(/\s+/).filter(Boolean);
    if (!list) return null;
    return words.length ? list.filter((c) => words.every((w) => chatTitle(c).toLowerCase().includes(w))) : list;
  }, [list, query]);
  const favorites = (found ?? []).filter((c) => c.favorite);
  const recent = (found ?? []).filter((c) => !c.favorite);
  const activeChat = route.name === "chat" ? route.id : null;
  const activeProject = route.name === "project" ? route.id : null;

  return (
    <aside class="sidebar" aria-label="Sidebar">
      <div class="sidebar-head">
        <a href="/" class="brand" aria-label="vzero home">
          <Logo size={22} />
          <span>vzero</span>
        </a>
        <IconButton label="Collapse sidebar" onClick={onCollapse}>
          <PanelLeftClose size={16} />
        </IconButton>
      </div>
      <div class="sidebar-actions">
        <Button variant="primary" class="new-chat" onClick={() => navigate("/")}>
          <Plus size={16} aria-hidden="true" /> New chat
        </Button>
        <div class="search">
          <Search size={14} aria-hidden="true" />
          <input
            type="search"
            class="search-input"
            aria-label="Search chats"
            placeholder="Search chats"
            value={query}
            onInput={(e) => setQuery((e.target as HTMLInputElement).value)}
            onKeyDown={(e) => e.key === "Escape" && setQuery("")}
          />
        </div>
      </div>
      <nav class="sidebar-nav" aria-label="Chats and projects">
        {query && found && (
          <p class="sidebar-note" role="status">
            {found.length === 0 ? "No chats match." : `${found.length} chat${found.length === 1 ? "" : "s"} found`}
          </p>
        )}
        {favorites.length > 0 && (
          <Section title="Favorites">
            {favorites.map((c) => (
              <ChatLink key={c.id} chat={c} active={c.id === activeChat} />
            ))}
          </Section>
        )}
        {!query && (
          <Section
            title="Projects"
            action={
              <IconButton label="New project" class="section-action" onClick={() => setCreating(true)}>
                <FolderPlus size={14} />
              </IconButton>
            }
          >
            {(projectList ?? []).map((p) => (
              <a key={p.id} href={`/projects/${p.id}`} class="nav-item" aria-current={p.id === activeProject ? "page" : undefined}>
                <Folder size={14} aria-hidden="true" />
                <span class="nav-text">{p.name}</span>
              </a>
            ))}
            {projectList && projectList.length === 0 && <p class="sidebar-note">No projects yet.</p>}
          </Section>
        )}
        <Section title={query ? "Chats" : "Recent"}>
          {list === null && <p class="sidebar-note">Loading…</p>}
          {recent.map((c) => (
            <ChatLink key={c.id} chat={c} active={c.id === activeChat} />
          ))}
          {list && list.length === 0 && <p class="sidebar-note">Your chats will appear here.</p>}
        </Section>
      </nav>
      <div class="sidebar-foot">
        <a href="/settings" class="nav-item" aria-current={route.name === "settings" ? "page" : undefined}>
          <Settings size={14} aria-hidden="true" />
          <span class="nav-text">Settings and API keys</span>
        </a>
        <div class="foot-row">
          <Menu
            label="Account"
            align="start"
            triggerClass="account"
            trigger={
              <>
                <span class="avatar" aria-hidden="true">
                  <UserIcon size={14} />
                </span>
                <span class="account-name">{who.status === "signed-in" ? who.user.name || who.user.email : ""}</span>
              </>
            }
            items={[{ label: "Sign out", icon: <LogOut size={14} />, run: () => void signOut() }]}
          />
          <Menu
            label="Theme"
            trigger={chosenTheme === "dark" ? <Moon size={16} /> : chosenTheme === "light" ? <Sun size={16} /> : <Monitor size={16} />}
            items={[
              { label: "Light", icon: <Sun size={14} />, checked: chosenTheme === "light", run: () => setTheme("light") },
              { label: "Dark", icon: <Moon size={14} />, checked: chosenTheme === "dark", run: () => setTheme("dark") },
              { label: "System", icon: <Monitor size={14} />, checked: chosenTheme === "system", run: () => setTheme("system") },
            ]}
          />
        </div>
      </div>
      <NewProject open={creating} onClose={() => setCreating(false)} />
    </aside>
  );
}

function Section({ title, action, children }: { title: string; action?: preact.ComponentChildren; children: preact.ComponentChildren }) {
  const id = `section-${title.toLowerCase()}`;
  return (
    <section class="nav-section" aria-labelledby={id}>
      <div class="nav-section-head">
        <h2 id={id}>{title}</h2>
        {action}
      </div>
      <div class="nav-list">{children}</div>
    </section>
  );
}

function ChatLink({ chat, active }: { chat: ChatSummary; active: boolean }) {
  return (
    <a href={`/chats/${chat.id}`} class="nav-item" aria-current={active ? "page" : undefined}>
      <span class="nav-text">{chatTitle(chat)}</span>
      {chat.favorite && <Star size={12} class="fav-mark" aria-label="Favorite" />}
    </a>
  );
}

export function NewProject({ open, onClose, then }: { open: boolean; onClose: () => void; then?: (id: string) => void }) {
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    try {
      const project = await api.createProject(name.trim());
      await refreshProjects();
      setName("");
      onClose();
      if (then) then(project.id);
      else navigate(`/projects/${project.id}`);
    } catch (err) {
      toast((err as Error).message, { tone: "error" });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Dialog open={open} title="New project" onClose={onClose}>
      <form onSubmit={submit} class="stack">
        <label class="field-label" for="project-name">
          Project name
        </label>
        <input id="project-name" class="input" value={name} maxLength={255} onInput={(e) => setName((e.target as HTMLInputElement).value)} autoFocus />
        <div class="dialog-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" disabled={busy || !name.trim()}>
            Create project
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

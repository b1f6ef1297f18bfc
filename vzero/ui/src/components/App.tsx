// The workspace: sign-in, then the sidebar beside the page the address names.
import { useEffect, useState } from "preact/hooks";
import { PanelLeftOpen } from "lucide-preact";
import { interceptLinks, navigate, useRoute } from "../router";
import { loadSession, refreshChats, refreshProjects, session } from "../state";
import { useStore } from "../store";
import { Chat } from "./Chat";
import { Home } from "./Home";
import { Login } from "./Login";
import { Project } from "./Project";
import { Settings } from "./Settings";
import { Sidebar } from "./Sidebar";
import { EmptyState, IconButton, Spinner, Toasts } from "./ui";

function storedSidebar(): boolean {
  try {
    return localStorage.getItem("vzero-sidebar") !== "hidden";
  } catch {
    return true;
  }
}

const narrow = matchMedia("(max-width: 820px)");

export function App() {
  const who = useStore(session);
  const route = useRoute();
  // On a narrow screen the sidebar is a drawer over the page: closed at first, and after each navigation.
  const [sidebar, setSidebar] = useState(() => !narrow.matches && storedSidebar());
  useEffect(() => {
    if (narrow.matches) setSidebar(false);
  }, [route]);

  useEffect(() => {
    void loadSession();
    document.addEventListener("click", interceptLinks);
    return () => document.removeEventListener("click", interceptLinks);
  }, []);
  useEffect(() => {
    if (who.status === "signed-in") {
      void refreshChats();
      void refreshProjects();
    }
  }, [who.status]);
  useEffect(() => {
    if (who.status === "signed-out" && route.name !== "login" && route.name !== "chat") {
      navigate(`/login${route.name === "home" ? "" : `?next=${encodeURIComponent(location.pathname)}`}`, { replace: true });
    }
    if (who.status === "signed-in" && route.name === "login") navigate(route.next, { replace: true });
  }, [who.status, route]);
  const toggleSidebar = (show: boolean) => {
    setSidebar(show);
    if (narrow.matches) return; // a drawer's state is not a preference
    try {
      localStorage.setItem("vzero-sidebar", show ? "shown" : "hidden");
    } catch {
      // kept for this page only
    }
  };

  if (who.status === "loading") {
    return (
      <div class="page-center">
        <Spinner label="Loading" />
      </div>
    );
  }
  if (route.name === "login") {
    return (
      <>
        <Login next={route.next} />
        <Toasts />
      </>
    );
  }
  if (who.status === "signed-out") {
    // A shared chat opens read-only without signing in: its webUrl is the share link.
    return route.name === "chat" ? (
      <div class="app app-bare">
        <main id="main" class="main">
          <Chat id={route.id} sidebarHidden onShowSidebar={() => undefined} />
        </main>
        <Toasts />
      </div>
    ) : null;
  }
  return (
    <div class={`app ${sidebar ? "" : "sidebar-hidden"}`}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      {sidebar && <Sidebar route={route} onCollapse={() => toggleSidebar(false)} />}
      {sidebar && narrow.matches && <div class="drawer-backdrop" onClick={() => toggleSidebar(false)} aria-hidden="true" />}
      <main id="main" class="main" tabIndex={-1}>
        {!sidebar && route.name !== "chat" && (
          <IconButton label="Show sidebar" class="floating-toggle" onClick={() => toggleSidebar(true)}>
            <PanelLeftOpen size={16} />
          </IconButton>
        )}
        {route.name === "home" && <Home />}
        {route.name === "chat" && <Chat id={route.id} sidebarHidden={!sidebar} onShowSidebar={() => toggleSidebar(true)} />}
        {route.name === "project" && <Project id={route.id} />}
        {route.name === "settings" && <Settings />}
        {route.name === "missing" && (
          <div class="page-center">
            <EmptyState title="Nothing here">
              <a href="/">Go to the start page</a>
            </EmptyState>
          </div>
        )}
      </main>
      <Toasts />
    </div>
  );
}

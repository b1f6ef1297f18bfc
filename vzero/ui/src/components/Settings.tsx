// Settings: the API keys of the signed-in user (create: shown once; revoke: ends the sessions it opened).
import { useEffect, useState } from "preact/hooks";
import { KeyRound, Plus, Trash2 } from "lucide-preact";
import * as api from "../api";
import { session, toast } from "../state";
import { useStore } from "../store";
import type { ApiKey } from "../types";
import { Button, Dialog, Spinner, Time } from "./ui";

export function Settings() {
  const who = useStore(session);
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [name, setName] = useState("");
  const [created, setCreated] = useState<ApiKey | null>(null);
  const [busy, setBusy] = useState(false);
  const load = () => api.apiKeys().then(setKeys, (e) => toast((e as Error).message, { tone: "error" }));
  useEffect(() => {
    void load();
    document.title = "Settings · vzero";
    return () => {
      document.title = "vzero";
    };
  }, []);

  async function create(e: Event) {
    e.preventDefault();
    if (!name.trim()) return;
    setBusy(true);
    try {
      setCreated(await api.createApiKey(name.trim()));
      setName("");
      await load();
    } catch (err) {
      toast((err as Error).message, { tone: "error" });
    } finally {
      setBusy(false);
    }
  }
  async function revoke(key: ApiKey) {
    if (!confirm(`Revoke “${key.name}”? Programs using it stop working, and browsers signed in with it are signed out.`)) return;
    try {
      await api.revokeApiKey(key.id);
      toast(`Revoked ${key.name}`, { tone: "success" });
      await load();
    } catch (err) {
      toast((err as Error).message, { tone: "error" });
    }
  }

  return (
    <div class="page">
      <header class="page-head">
        <h1>Settings</h1>
        {who.status === "signed-in" && (
          <p class="muted">
            Signed in as {who.user.name || who.user.email}
            {who.user.teamId ? ` · team ${who.user.teamId}` : ""}
          </p>
        )}
      </header>
      <section class="card" aria-labelledby="keys-title">
        <div class="card-head">
          <div>
            <h2 id="keys-title">API keys</h2>
            <p class="muted">Keys let programs such as the v0 SDK use this server: send <code>Authorization: Bearer &lt;key&gt;</code> to <code>{location.origin}/v1</code>.</p>
          </div>
        </div>
        <form class="inline-form" onSubmit={create}>
          <label class="visually-hidden" for="key-name">
            New key name
          </label>
          <input id="key-name" class="input" placeholder="Name, e.g. CI or laptop" value={name} maxLength={255} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
          <Button type="submit" variant="primary" disabled={busy || !name.trim()}>
            <Plus size={14} aria-hidden="true" /> Create key
          </Button>
        </form>
        {keys === null ? (
          <Spinner label="Loading keys" />
        ) : keys.length === 0 ? (
          <p class="muted">No keys yet. (The server's VZERO_API_KEY, if set, is not listed here.)</p>
        ) : (
          <table class="table">
            <caption class="visually-hidden">Your API keys</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span class="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {keys.map((k) => (
                <tr key={k.id}>
                  <td>
                    <KeyRound size={14} aria-hidden="true" /> {k.name}
                  </td>
                  <td>
                    <Time iso={k.createdAt} />
                  </td>
                  <td class="actions">
                    <Button size="sm" variant="danger" onClick={() => void revoke(k)} aria-label={`Revoke ${k.name}`}>
                      <Trash2 size={13} aria-hidden="true" /> Revoke
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <Dialog open={created !== null} title="Your new API key" onClose={() => setCreated(null)}>
        {created && (
          <div class="stack">
            <p>Copy it now: it is not shown again.</p>
            <label class="field-label" for="new-key">
              API key “{created.name}”
            </label>
            <input id="new-key" class="input mono" readOnly value={created.key} onFocus={(e) => (e.target as HTMLInputElement).select()} autoFocus />
            <div class="dialog-actions">
              <Button
                onClick={async () => {
                  try {
                    await navigator.clipboard.writeText(created.key ?? "");
                    toast("Copied", { tone: "success" });
                  } catch {
                    toast("Copy failed: select the key and copy it.", { tone: "error" });
                  }
                }}
              >
                Copy
              </Button>
              <Button variant="primary" onClick={() => setCreated(null)}>
                Done
              </Button>
            </div>
          </div>
        )}
      </Dialog>
    </div>
  );
}

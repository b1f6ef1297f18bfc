// Sign in with an API key (the server also prints a one-time sign-in link when it starts).
import { useState } from "preact/hooks";
import { KeyRound } from "lucide-preact";
import { navigate } from "../router";
import { signIn } from "../state";
import { Button } from "./ui";
import { Logo } from "./Logo";

export function Login({ next }: { next: string }) {
  const [key, setKey] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    if (!key.trim()) {
      setError("Enter an API key.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await signIn(key.trim());
      setKey("");
      navigate(next, { replace: true });
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="login" id="main">
      <div class="login-card">
        <div class="login-brand">
          <Logo size={36} />
          <h1>Sign in to vzero</h1>
          <p class="muted">Your self-hosted app builder.</p>
        </div>
        <form onSubmit={submit} noValidate>
          <label class="field-label" for="api-key">
            API key
          </label>
          <div class="input-icon">
            <KeyRound size={16} aria-hidden="true" />
            <input
              id="api-key"
              name="api-key"
              class="input"
              type="password"
              autoComplete="current-password"
              spellcheck={false}
              placeholder="vz_…"
              value={key}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? "login-error" : "login-help"}
              onInput={(e) => setKey((e.target as HTMLInputElement).value)}
              autoFocus
            />
          </div>
          {error && (
            <p id="login-error" class="field-error" role="alert">
              {error}
            </p>
          )}
          <Button type="submit" variant="primary" class="login-submit" disabled={busy}>
            {busy ? "Signing in…" : "Sign in"}
          </Button>
        </form>
        <p id="login-help" class="login-help muted">
          Use the sign-in link <code>vzero serve</code> printed when it started, or a key from <code>vzero keys create --name NAME</code>.
          The key stays on this server: your browser keeps only a session cookie.
        </p>
      </div>
    </main>
  );
}

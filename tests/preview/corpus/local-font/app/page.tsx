"use client";

import { useState } from "react";
import { Plus, StickyNote } from "lucide-react";

export default function Notes() {
  const [notes, setNotes] = useState<string[]>(["Buy oat milk", "Call the plumber"]);
  const [draft, setDraft] = useState("");
  return (
    <main className="mx-auto max-w-md space-y-4 p-8">
      <h1 id="title" className="flex items-center gap-2 text-2xl font-semibold">
        <StickyNote className="size-6" /> Notes
      </h1>
      <form
        className="flex gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (draft.trim()) setNotes([draft.trim(), ...notes]);
          setDraft("");
        }}
      >
        <input value={draft} onChange={(e) => setDraft(e.target.value)} className="flex-1 rounded border px-3 py-2" placeholder="New note" />
        <button className="rounded bg-foreground px-3 text-background" aria-label="Add">
          <Plus className="size-4" />
        </button>
      </form>
      <ul className="space-y-2">
        {notes.map((note) => (
          <li key={note} className="rounded border p-3 font-mono text-sm">
            {note}
          </li>
        ))}
      </ul>
    </main>
  );
}

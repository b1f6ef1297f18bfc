"""A small but real app for the workspace's screenshots: what a model would write for a pomodoro timer."""

from __future__ import annotations

PAGE = '''"use client"

import { useEffect, useState } from "react"
import { Pause, Play, RotateCcw, Timer } from "lucide-react"
import { TaskList } from "@/components/task-list"

const MODES = { focus: 25 * 60, short: 5 * 60, long: 15 * 60 }

export default function Page() {
  const [mode, setMode] = useState<keyof typeof MODES>("focus")
  const [left, setLeft] = useState(MODES.focus)
  const [running, setRunning] = useState(false)

  useEffect(() => {
    if (!running) return
    const id = setInterval(() => setLeft((s) => Math.max(0, s - 1)), 1000)
    return () => clearInterval(id)
  }, [running])

  const minutes = String(Math.floor(left / 60)).padStart(2, "0")
  const seconds = String(left % 60).padStart(2, "0")
  return (
    <main className="min-h-screen bg-gradient-to-b from-rose-50 to-white px-6 py-12">
      <div className="mx-auto flex max-w-md flex-col items-center gap-8">
        <div className="flex items-center gap-2 text-rose-600">
          <Timer className="h-5 w-5" />
          <span className="text-sm font-semibold tracking-wide uppercase">Focus</span>
        </div>
        <div className="flex gap-2 rounded-full bg-white p-1 shadow-sm ring-1 ring-rose-100">
          {(Object.keys(MODES) as (keyof typeof MODES)[]).map((m) => (
            <button
              key={m}
              onClick={() => { setMode(m); setLeft(MODES[m]); setRunning(false) }}
              className={`rounded-full px-4 py-1.5 text-sm font-medium ${m === mode ? "bg-rose-500 text-white" : "text-rose-700 hover:bg-rose-50"}`}
            >
              {m === "focus" ? "Pomodoro" : m === "short" ? "Short break" : "Long break"}
            </button>
          ))}
        </div>
        <div className="text-8xl font-bold tabular-nums tracking-tight text-rose-950">{minutes}:{seconds}</div>
        <div className="flex gap-3">
          <button onClick={() => setRunning(!running)} className="flex items-center gap-2 rounded-xl bg-rose-500 px-6 py-3 font-semibold text-white shadow-lg shadow-rose-200 hover:bg-rose-600">
            {running ? <Pause className="h-4 w-4" /> : <Play className="h-4 w-4" />}
            {running ? "Pause" : "Start"}
          </button>
          <button onClick={() => { setLeft(MODES[mode]); setRunning(false) }} className="rounded-xl bg-white px-4 py-3 text-rose-700 ring-1 ring-rose-200 hover:bg-rose-50" aria-label="Reset">
            <RotateCcw className="h-4 w-4" />
          </button>
        </div>
        <TaskList />
      </div>
    </main>
  )
}
'''

TASKS = '''"use client"

import { useState } from "react"
import { Check, Plus } from "lucide-react"

export function TaskList() {
  const [tasks, setTasks] = useState([
    { id: 1, text: "Write the project brief", done: true },
    { id: 2, text: "Review the pull request", done: false },
    { id: 3, text: "Plan tomorrow", done: false },
  ])
  const [draft, setDraft] = useState("")
  return (
    <section className="w-full rounded-2xl bg-white p-5 shadow-sm ring-1 ring-rose-100">
      <h2 className="mb-3 text-sm font-semibold text-rose-950">Today</h2>
      <ul className="space-y-2">
        {tasks.map((t) => (
          <li key={t.id} className="flex items-center gap-3">
            <button
              onClick={() => setTasks(tasks.map((x) => (x.id === t.id ? { ...x, done: !x.done } : x)))}
              className={`flex h-5 w-5 items-center justify-center rounded-md border ${t.done ? "border-rose-500 bg-rose-500 text-white" : "border-rose-200"}`}
              aria-label={t.done ? "Mark as not done" : "Mark as done"}
            >
              {t.done && <Check className="h-3 w-3" />}
            </button>
            <span className={t.done ? "text-rose-300 line-through" : "text-rose-950"}>{t.text}</span>
          </li>
        ))}
      </ul>
      <form
        className="mt-4 flex gap-2"
        onSubmit={(e) => { e.preventDefault(); if (draft.trim()) { setTasks([...tasks, { id: Date.now(), text: draft, done: false }]); setDraft("") } }}
      >
        <input value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="Add a task" className="flex-1 rounded-lg border border-rose-100 px-3 py-2 text-sm outline-none focus:border-rose-300" />
        <button className="rounded-lg bg-rose-50 px-3 text-rose-700 hover:bg-rose-100" aria-label="Add task"><Plus className="h-4 w-4" /></button>
      </form>
    </section>
  )
}
'''

PROSE = """I'll build a pomodoro timer with three modes (pomodoro, short break, long break), a start/pause button
and a small task list for the session.

- **`app/page.tsx`** holds the timer: the mode switch, the countdown and its controls.
- **`components/task-list.tsx`** keeps today's tasks, with a form to add one."""

REASONING = (
    "The user wants a pomodoro timer. A single page with the countdown in the middle reads best; "
    "three modes cover focus and breaks. The task list can be its own component so the page stays short."
)


def reply() -> str:
    return (
        f"{PROSE}\n\n<CodeProject id=\"pomodoro\">\n\n```tsx file=\"app/page.tsx\"\n{PAGE}```\n\n"
        f"```tsx file=\"components/task-list.tsx\"\n{TASKS}```\n\n</CodeProject>\n\n"
        "Press **Start** to begin a 25-minute session; the task list keeps what you plan to do in it."
    )


def tweak() -> str:
    page = PAGE.replace("from-rose-50", "from-amber-50").replace('"Focus"', '"Deep work"').replace(">Focus<", ">Deep work<")
    return (
        "I changed the background to a warmer tone and renamed the label.\n\n<CodeProject id=\"pomodoro\">\n\n"
        f"```tsx file=\"app/page.tsx\"\n{page}```\n\n</CodeProject>\n\nThe timer now says **Deep work**."
    )

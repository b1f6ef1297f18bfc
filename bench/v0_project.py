"""A 60-file v0 project for bench_preview.py: the v0 export the corpus tests use, and a team dashboard on top.

Its package.json names what v0 would (caret ranges of current versions, which the pinned set satisfies) plus two
packages outside the pinned set, zustand and canvas-confetti, that the preview installs on first use.
"""

from __future__ import annotations

import json
from pathlib import Path

BASE = Path(__file__).resolve().parents[1] / "tests" / "preview" / "corpus" / "_base"
ON_DEMAND = {"zustand": "^5.0.0", "canvas-confetti": "^1.9.3"}

APP = {
    "lib/store.ts": '''import { create } from "zustand"
import { persist } from "zustand/middleware"
import { initialTasks, type Task, type TaskStatus } from "@/lib/data"

type TaskState = {
  tasks: Task[]
  filter: string
  addTask: (title: string, assignee: string) => void
  moveTask: (id: string, status: TaskStatus) => void
  removeTask: (id: string) => void
  setFilter: (filter: string) => void
}

export const useTaskStore = create<TaskState>()(
  persist(
    (set) => ({
      tasks: initialTasks,
      filter: "",
      addTask: (title, assignee) =>
        set((state) => ({ tasks: [...state.tasks, { id: crypto.randomUUID(), title, assignee, status: "todo", points: 1 }] })),
      moveTask: (id, status) => set((state) => ({ tasks: state.tasks.map((t) => (t.id === id ? { ...t, status } : t)) })),
      removeTask: (id) => set((state) => ({ tasks: state.tasks.filter((t) => t.id !== id) })),
      setFilter: (filter) => set({ filter }),
    }),
    { name: "team-tasks" },
  ),
)
''',
    "lib/data.ts": '''export type TaskStatus = "todo" | "doing" | "done"
export type Task = { id: string; title: string; assignee: string; status: TaskStatus; points: number }
export type Member = { name: string; email: string; role: "Owner" | "Editor" | "Viewer"; initials: string }

export const initialTasks: Task[] = [
  { id: "1", title: "Write the launch post", assignee: "Olivia", status: "todo", points: 3 },
  { id: "2", title: "Fix the billing webhook", assignee: "Jackson", status: "doing", points: 5 },
  { id: "3", title: "Record the demo video", assignee: "Isabella", status: "doing", points: 2 },
  { id: "4", title: "Ship dark mode", assignee: "William", status: "done", points: 8 },
]

export const members: Member[] = [
  { name: "Olivia Martin", email: "olivia@example.com", role: "Owner", initials: "OM" },
  { name: "Jackson Lee", email: "jackson@example.com", role: "Editor", initials: "JL" },
  { name: "Isabella Nguyen", email: "isabella@example.com", role: "Editor", initials: "IN" },
  { name: "William Kim", email: "will@example.com", role: "Viewer", initials: "WK" },
]

export const revenue = [
  { month: "Jan", revenue: 4200, expenses: 2400 },
  { month: "Feb", revenue: 3800, expenses: 2210 },
  { month: "Mar", revenue: 5100, expenses: 2290 },
  { month: "Apr", revenue: 4780, expenses: 2000 },
  { month: "May", revenue: 5890, expenses: 2181 },
  { month: "Jun", revenue: 6390, expenses: 2500 },
]
''',
    "lib/format.ts": '''export function currency(value: number) {
  return new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: 0 }).format(value)
}

export function percent(value: number) {
  return `${value > 0 ? "+" : ""}${value.toFixed(1)}%`
}
''',
    "hooks/use-celebrate.ts": '''"use client"

import { useCallback } from "react"
import confetti from "canvas-confetti"

export function useCelebrate() {
  return useCallback(() => {
    confetti({ particleCount: 120, spread: 70, origin: { y: 0.7 }, disableForReducedMotion: true })
  }, [])
}
''',
    "components/site-header.tsx": '''import Link from "next/link"
import { Bell, LayoutDashboard } from "lucide-react"
import { Button } from "@/components/ui/button"
import { Nav } from "@/components/nav"
import { ThemeToggle } from "@/components/theme-toggle"

export function SiteHeader() {
  return (
    <header className="sticky top-0 z-40 border-b bg-background/80 backdrop-blur">
      <div className="mx-auto flex h-14 max-w-6xl items-center gap-6 px-6">
        <Link href="/" className="flex items-center gap-2 font-semibold">
          <LayoutDashboard className="size-5" /> Teamboard
        </Link>
        <Nav />
        <div className="ml-auto flex items-center gap-2">
          <Button variant="ghost" size="icon" aria-label="Notifications">
            <Bell />
          </Button>
          <ThemeToggle />
        </div>
      </div>
    </header>
  )
}
''',
    "components/nav.tsx": '''"use client"

import Link from "next/link"
import { usePathname } from "next/navigation"
import { cn } from "@/lib/utils"

const links = [
  { href: "/", label: "Overview" },
  { href: "/tasks", label: "Tasks" },
  { href: "/team", label: "Team" },
  { href: "/reports", label: "Reports" },
  { href: "/settings", label: "Settings" },
]

export function Nav() {
  const pathname = usePathname()
  return (
    <nav className="hidden items-center gap-4 text-sm md:flex">
      {links.map((link) => (
        <Link key={link.href} href={link.href} className={cn("text-muted-foreground hover:text-foreground", pathname === link.href && "text-foreground font-medium")}>
          {link.label}
        </Link>
      ))}
    </nav>
  )
}
''',
    "components/theme-toggle.tsx": '''"use client"

import { Moon, Sun } from "lucide-react"
import { useTheme } from "next-themes"
import { Button } from "@/components/ui/button"

export function ThemeToggle() {
  const { resolvedTheme, setTheme } = useTheme()
  return (
    <Button variant="ghost" size="icon" onClick={() => setTheme(resolvedTheme === "dark" ? "light" : "dark")} aria-label="Toggle theme">
      <Sun className="dark:hidden" />
      <Moon className="hidden dark:block" />
    </Button>
  )
}
''',
    "components/stats-cards.tsx": '''"use client"

import { CheckCircle2, Clock, DollarSign, Users } from "lucide-react"
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card"
import { useTaskStore } from "@/lib/store"
import { currency } from "@/lib/format"

export function StatsCards() {
  const tasks = useTaskStore((s) => s.tasks)
  const done = tasks.filter((t) => t.status === "done").length
  const stats = [
    { title: "Revenue", value: currency(29160), icon: DollarSign },
    { title: "Members", value: "4", icon: Users },
    { title: "Open tasks", value: String(tasks.length - done), icon: Clock },
    { title: "Done", value: String(done), icon: CheckCircle2 },
  ]
  return (
    <div className="grid gap-4 sm:grid-cols-2 lg:grid-cols-4">
      {stats.map(({ title, value, icon: Icon }) => (
        <Card key={title}>
          <CardHeader className="flex flex-row items-center justify-between pb-2">
            <CardTitle className="text-sm font-medium">{title}</CardTitle>
            <Icon className="size-4 text-muted-foreground" />
          </CardHeader>
          <CardContent className="text-2xl font-bold">{value}</CardContent>
        </Card>
      ))}
    </div>
  )
}
''',
    "components/revenue-chart.tsx": '''"use client"

import { Bar, BarChart, CartesianGrid, XAxis } from "recharts"
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card"
import { ChartContainer, ChartTooltip, ChartTooltipContent, type ChartConfig } from "@/components/ui/chart"
import { revenue } from "@/lib/data"

const config = {
  revenue: { label: "Revenue", color: "var(--chart-1)" },
  expenses: { label: "Expenses", color: "var(--chart-2)" },
} satisfies ChartConfig

export function RevenueChart() {
  return (
    <Card>
      <CardHeader>
        <CardTitle>Revenue</CardTitle>
        <CardDescription>First half of the year</CardDescription>
      </CardHeader>
      <CardContent>
        <ChartContainer config={config} className="h-64 w-full">
          <BarChart data={revenue}>
            <CartesianGrid vertical={false} />
            <XAxis dataKey="month" tickLine={false} axisLine={false} />
            <ChartTooltip content={<ChartTooltipContent />} />
            <Bar dataKey="revenue" fill="var(--color-revenue)" radius={4} />
            <Bar dataKey="expenses" fill="var(--color-expenses)" radius={4} />
          </BarChart>
        </ChartContainer>
      </CardContent>
    </Card>
  )
}
''',
    "components/task-card.tsx": '''"use client"

import { MoreHorizontal } from "lucide-react"
import { Badge } from "@/components/ui/badge"
import { Button } from "@/components/ui/button"
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu"
import { useTaskStore } from "@/lib/store"
import type { Task } from "@/lib/data"
import { useCelebrate } from "@/hooks/use-celebrate"

export function TaskCard({ task }: { task: Task }) {
  const moveTask = useTaskStore((s) => s.moveTask)
  const removeTask = useTaskStore((s) => s.removeTask)
  const celebrate = useCelebrate()
  return (
    <div className="flex items-start justify-between rounded-lg border bg-card p-3 shadow-xs">
      <div className="space-y-1">
        <p className="text-sm font-medium">{task.title}</p>
        <div className="flex items-center gap-2 text-xs text-muted-foreground">
          {task.assignee} <Badge variant="secondary">{task.points} pts</Badge>
        </div>
      </div>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button variant="ghost" size="icon" aria-label="Task actions">
            <MoreHorizontal />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent align="end">
          <DropdownMenuItem onClick={() => moveTask(task.id, "doing")}>Start</DropdownMenuItem>
          <DropdownMenuItem
            onClick={() => {
              moveTask(task.id, "done")
              celebrate()
            }}
          >
            Complete
          </DropdownMenuItem>
          <DropdownMenuItem variant="destructive" onClick={() => removeTask(task.id)}>
            Delete
          </DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>
    </div>
  )
}
''',
    "components/task-board.tsx": '''"use client"

import { TaskCard } from "@/components/task-card"
import { NewTaskDialog } from "@/components/new-task-dialog"
import { EmptyState } from "@/components/empty-state"
import { Input } from "@/components/ui/input"
import { useTaskStore } from "@/lib/store"
import type { TaskStatus } from "@/lib/data"

const columns: { status: TaskStatus; title: string }[] = [
  { status: "todo", title: "To do" },
  { status: "doing", title: "In progress" },
  { status: "done", title: "Done" },
]

export function TaskBoard() {
  const { tasks, filter, setFilter } = useTaskStore()
  const visible = tasks.filter((t) => t.title.toLowerCase().includes(filter.toLowerCase()))
  return (
    <div className="space-y-4">
      <div className="flex items-center gap-2">
        <Input placeholder="Filter tasks" value={filter} onChange={(e) => setFilter(e.target.value)} className="max-w-xs" />
        <NewTaskDialog />
      </div>
      <div className="grid gap-4 md:grid-cols-3">
        {columns.map((column) => {
          const items = visible.filter((t) => t.status === column.status)
          return (
            <section key={column.status} className="space-y-2 rounded-xl bg-muted/50 p-3">
              <h3 className="text-sm font-semibold">{column.title}</h3>
              {items.length ? items.map((task) => <TaskCard key={task.id} task={task} />) : <EmptyState text="Nothing here" />}
            </section>
          )
        })}
      </div>
    </div>
  )
}
''',
    "components/new-task-dialog.tsx": '''"use client"

import { useState } from "react"
import { Plus } from "lucide-react"
import { toast } from "sonner"
import { Button } from "@/components/ui/button"
import { Dialog, DialogContent, DialogFooter, DialogHeader, DialogTitle, DialogTrigger } from "@/components/ui/dialog"
import { Input } from "@/components/ui/input"
import { Label } from "@/components/ui/label"
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select"
import { useTaskStore } from "@/lib/store"
import { members } from "@/lib/data"

export function NewTaskDialog() {
  const addTask = useTaskStore((s) => s.addTask)
  const [open, setOpen] = useState(false)
  const [title, setTitle] = useState("")
  const [assignee, setAssignee] = useState(members[0].name)
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button>
          <Plus /> New task
        </Button>
      </DialogTrigger>
      <DialogContent>
        <DialogHeader>
          <DialogTitle>New task</DialogTitle>
        </DialogHeader>
        <div className="grid gap-3">
          <Label htmlFor="title">Title</Label>
          <Input id="title" value={title} onChange={(e) => setTitle(e.target.value)} />
          <Label>Assignee</Label>
          <Select value={assignee} onValueChange={setAssignee}>
            <SelectTrigger className="w-full">
              <SelectValue />
            </SelectTrigger>
            <SelectContent>
              {members.map((m) => (
                <SelectItem key={m.email} value={m.name}>
                  {m.name}
                </SelectItem>
              ))}
            </SelectContent>
          </Select>
        </div>
        <DialogFooter>
          <Button
            onClick={() => {
              addTask(title || "Untitled", assignee.split(" ")[0])
              toast.success("Task created")
              setOpen(false)
              setTitle("")
            }}
          >
            Create
          </Button>
        </DialogFooter>
      </DialogContent>
    </Dialog>
  )
}
''',
    "components/empty-state.tsx": '''import { Inbox } from "lucide-react"

export function EmptyState({ text }: { text: string }) {
  return (
    <div className="flex flex-col items-center gap-2 rounded-lg border border-dashed p-6 text-sm text-muted-foreground">
      <Inbox className="size-5" />
      {text}
    </div>
  )
}
''',
    "components/team-table.tsx": '''import { Avatar, AvatarFallback } from "@/components/ui/avatar"
import { Badge } from "@/components/ui/badge"
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table"
import { members } from "@/lib/data"

export function TeamTable() {
  return (
    <Table>
      <TableHeader>
        <TableRow>
          <TableHead>Member</TableHead>
          <TableHead>Email</TableHead>
          <TableHead>Role</TableHead>
        </TableRow>
      </TableHeader>
      <TableBody>
        {members.map((m) => (
          <TableRow key={m.email}>
            <TableCell className="flex items-center gap-2">
              <Avatar>
                <AvatarFallback>{m.initials}</AvatarFallback>
              </Avatar>
              {m.name}
            </TableCell>
            <TableCell>{m.email}</TableCell>
            <TableCell>
              <Badge variant={m.role === "Owner" ? "default" : "outline"}>{m.role}</Badge>
            </TableCell>
          </TableRow>
        ))}
      </TableBody>
    </Table>
  )
}
''',
    "components/activity-feed.tsx": '''import { formatDistanceToNow, subHours } from "date-fns"
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card"
import { ScrollArea } from "@/components/ui/scroll-area"

const events = [
  { who: "Olivia", what: "created Write the launch post", at: subHours(new Date(), 1) },
  { who: "Jackson", what: "started Fix the billing webhook", at: subHours(new Date(), 3) },
  { who: "William", what: "completed Ship dark mode", at: subHours(new Date(), 26) },
]

export function ActivityFeed() {
  return (
    <Card>
      <CardHeader>
        <CardTitle>Activity</CardTitle>
      </CardHeader>
      <CardContent>
        <ScrollArea className="h-48">
          <ul className="space-y-3 text-sm">
            {events.map((e) => (
              <li key={e.what}>
                <span className="font-medium">{e.who}</span> {e.what}
                <span className="block text-xs text-muted-foreground">{formatDistanceToNow(e.at, { addSuffix: true })}</span>
              </li>
            ))}
          </ul>
        </ScrollArea>
      </CardContent>
    </Card>
  )
}
''',
    "components/settings-form.tsx": '''"use client"

import { zodResolver } from "@hookform/resolvers/zod"
import { useForm } from "react-hook-form"
import { z } from "zod"
import { toast } from "sonner"
import { Button } from "@/components/ui/button"
import { Form, FormControl, FormField, FormItem, FormLabel, FormMessage } from "@/components/ui/form"
import { Input } from "@/components/ui/input"
import { Switch } from "@/components/ui/switch"

const schema = z.object({ workspace: z.string().min(2), email: z.email(), digest: z.boolean() })

export function SettingsForm() {
  const form = useForm<z.infer<typeof schema>>({ resolver: zodResolver(schema), defaultValues: { workspace: "Acme", email: "team@acme.com", digest: true } })
  return (
    <Form {...form}>
      <form onSubmit={form.handleSubmit(() => toast.success("Saved"))} className="max-w-md space-y-4">
        <FormField control={form.control} name="workspace" render={({ field }) => (
          <FormItem><FormLabel>Workspace</FormLabel><FormControl><Input {...field} /></FormControl><FormMessage /></FormItem>
        )} />
        <FormField control={form.control} name="email" render={({ field }) => (
          <FormItem><FormLabel>Billing email</FormLabel><FormControl><Input {...field} /></FormControl><FormMessage /></FormItem>
        )} />
        <FormField control={form.control} name="digest" render={({ field }) => (
          <FormItem className="flex items-center gap-2"><FormControl><Switch checked={field.value} onCheckedChange={field.onChange} /></FormControl><FormLabel>Weekly digest</FormLabel></FormItem>
        )} />
        <Button type="submit">Save</Button>
      </form>
    </Form>
  )
}
''',
    "components/celebrate-button.tsx": '''"use client"

import { PartyPopper } from "lucide-react"
import { Button } from "@/components/ui/button"
import { useCelebrate } from "@/hooks/use-celebrate"

export function CelebrateButton() {
  const celebrate = useCelebrate()
  return (
    <Button variant="outline" onClick={celebrate}>
      <PartyPopper /> Celebrate the sprint
    </Button>
  )
}
''',
    "app/page.tsx": '''import { SiteHeader } from "@/components/site-header"
import { StatsCards } from "@/components/stats-cards"
import { RevenueChart } from "@/components/revenue-chart"
import { ActivityFeed } from "@/components/activity-feed"
import { CelebrateButton } from "@/components/celebrate-button"
import { Toaster } from "@/components/ui/sonner"

export default function OverviewPage() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto max-w-6xl space-y-6 p-6">
        <div className="flex items-center justify-between">
          <h1 className="text-3xl font-bold tracking-tight">Overview</h1>
          <CelebrateButton />
        </div>
        <StatsCards />
        <div className="grid gap-4 lg:grid-cols-3">
          <div className="lg:col-span-2">
            <RevenueChart />
          </div>
          <ActivityFeed />
        </div>
      </main>
      <Toaster />
    </>
  )
}
''',
    "app/tasks/page.tsx": '''import { SiteHeader } from "@/components/site-header"
import { TaskBoard } from "@/components/task-board"
import { Toaster } from "@/components/ui/sonner"

export default function TasksPage() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto max-w-6xl space-y-6 p-6">
        <h1 className="text-3xl font-bold tracking-tight">Tasks</h1>
        <TaskBoard />
      </main>
      <Toaster />
    </>
  )
}
''',
    "app/team/page.tsx": '''import { SiteHeader } from "@/components/site-header"
import { TeamTable } from "@/components/team-table"

export default function TeamPage() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto max-w-6xl space-y-6 p-6">
        <h1 className="text-3xl font-bold tracking-tight">Team</h1>
        <TeamTable />
      </main>
    </>
  )
}
''',
    "app/reports/page.tsx": '''import { SiteHeader } from "@/components/site-header"
import { RevenueChart } from "@/components/revenue-chart"
import { Progress } from "@/components/ui/progress"

export default function ReportsPage() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto max-w-6xl space-y-6 p-6">
        <h1 className="text-3xl font-bold tracking-tight">Reports</h1>
        <RevenueChart />
        <div className="space-y-2">
          <p className="text-sm text-muted-foreground">Quarterly goal</p>
          <Progress value={72} />
        </div>
      </main>
    </>
  )
}
''',
    "app/settings/page.tsx": '''import { SiteHeader } from "@/components/site-header"
import { SettingsForm } from "@/components/settings-form"
import { Toaster } from "@/components/ui/sonner"

export default function SettingsPage() {
  return (
    <>
      <SiteHeader />
      <main className="mx-auto max-w-6xl space-y-6 p-6">
        <h1 className="text-3xl font-bold tracking-tight">Settings</h1>
        <SettingsForm />
      </main>
      <Toaster />
    </>
  )
}
''',
}


def project(pinned: dict[str, str]) -> dict[str, bytes]:
    """The project's files; its package.json asks for each pinned package it uses at ^<pinned version>."""
    files = {p.relative_to(BASE).as_posix(): p.read_bytes() for p in sorted(BASE.rglob("*")) if p.is_file() and p.name != "package.json"}
    files.update({path: text.encode() for path, text in APP.items()})
    used = sorted(name for name in pinned if not name.startswith("@fontsource") and any(f'"{name}' in text for text in files_text(files)))
    dependencies = {name: f"^{pinned[name]}" for name in used} | ON_DEMAND | {"next": "15.5.0", "react": "^19", "react-dom": "^19"}
    package = {"name": "teamboard", "version": "0.1.0", "private": True, "dependencies": dict(sorted(dependencies.items()))}
    files["package.json"] = (json.dumps(package, indent=2) + "\n").encode()
    assert len(files) == 60, len(files)
    return files


def files_text(files: dict[str, bytes]) -> list[str]:
    return [content.decode("utf-8", "replace") for content in files.values()]

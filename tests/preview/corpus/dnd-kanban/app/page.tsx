import { Board } from "@/components/board"

export default function Page() {
  return (
    <main className="mx-auto max-w-5xl space-y-6 p-8">
      <h1 className="text-3xl font-bold">Project board</h1>
      <Board />
    </main>
  )
}

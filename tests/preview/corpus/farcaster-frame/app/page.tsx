import { MiniApp } from "@/components/mini-app"

export default function Page() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-violet-50 p-6">
      <MiniApp />
    </main>
  )
}

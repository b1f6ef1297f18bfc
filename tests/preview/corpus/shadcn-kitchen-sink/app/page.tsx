import { Gallery } from "@/components/gallery"

export default function Page() {
  return (
    <main className="mx-auto max-w-3xl p-8">
      <h1 className="mb-6 text-3xl font-bold">Components</h1>
      <Gallery />
    </main>
  )
}

import { Gallery } from "@/components/gallery"

export default function Page() {
  return (
    <main className="mx-auto max-w-3xl space-y-6 p-8">
      <h1 className="text-3xl font-bold">Where to next?</h1>
      <Gallery />
    </main>
  )
}

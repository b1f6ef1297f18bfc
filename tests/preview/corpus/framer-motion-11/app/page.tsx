import { Pricing } from "@/components/pricing"

export default function Page() {
  return (
    <main className="mx-auto max-w-3xl px-6 py-16">
      <h1 className="mb-10 text-center text-4xl font-bold">Simple pricing</h1>
      <Pricing />
    </main>
  )
}

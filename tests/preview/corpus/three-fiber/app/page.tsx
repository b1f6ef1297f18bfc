import { ProductScene } from "@/components/product-scene"

export default function Page() {
  return (
    <main className="mx-auto max-w-3xl space-y-6 p-8">
      <h1 className="text-3xl font-bold">Cube One</h1>
      <ProductScene />
    </main>
  )
}

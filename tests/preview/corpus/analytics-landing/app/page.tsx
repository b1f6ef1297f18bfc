import { Hero } from "@/components/hero"
import { Features } from "@/components/features"

export default function Home() {
  return (
    <main className="min-h-screen bg-background">
      <Hero />
      <Features />
    </main>
  )
}

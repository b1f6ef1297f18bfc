import { AnimatedHero } from "@/components/animated-hero"

export default function Page() {
  return (
    <main>
      <AnimatedHero />
    </main>
  )
}

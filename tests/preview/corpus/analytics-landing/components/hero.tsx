import Link from "next/link"
import { ArrowRight, Sparkles } from "lucide-react"
import { Button } from "@/components/ui/button"
import { Badge } from "@/components/ui/badge"

export function Hero() {
  return (
    <section className="mx-auto flex max-w-4xl flex-col items-center gap-6 px-6 py-24 text-center">
      <Badge variant="secondary" className="gap-1">
        <Sparkles className="size-3" /> New: team workspaces
      </Badge>
      <h1 id="headline" className="text-balance text-5xl font-bold tracking-tight md:text-6xl">
        Ship your product faster
      </h1>
      <p className="max-w-2xl text-pretty text-lg text-muted-foreground">
        Launchpad gives your team analytics, feature flags and a deploy pipeline in one place.
      </p>
      <div className="flex gap-3">
        <Button asChild size="lg">
          <Link href="/signup">
            Get started <ArrowRight />
          </Link>
        </Button>
        <Button variant="outline" size="lg">
          Book a demo
        </Button>
      </div>
    </section>
  )
}

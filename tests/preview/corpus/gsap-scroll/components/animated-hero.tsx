"use client"

import { useRef } from "react"
import gsap from "gsap"
import { ScrollTrigger } from "gsap/ScrollTrigger"
import { TextPlugin } from "gsap/TextPlugin"
import { useGSAP } from "@gsap/react"
import { Button } from "@/components/ui/button"

gsap.registerPlugin(ScrollTrigger, TextPlugin, useGSAP)

export function AnimatedHero() {
  const container = useRef<HTMLDivElement>(null)

  useGSAP(
    () => {
      gsap.from(".hero-word", { y: 40, opacity: 0, stagger: 0.08, duration: 0.4, ease: "power3.out" })
      gsap.to("#typed", { duration: 0.5, text: "Studio Nord", ease: "none" })
      gsap.utils.toArray<HTMLElement>(".panel").forEach((panel) => {
        gsap.from(panel, {
          opacity: 0,
          y: 60,
          scrollTrigger: { trigger: panel, start: "top 85%", toggleActions: "play none none reverse" },
        })
      })
    },
    { scope: container },
  )

  return (
    <div ref={container}>
      <section className="flex min-h-[70vh] flex-col items-center justify-center gap-6 bg-zinc-950 text-white">
        <p id="typed" className="font-mono text-sm uppercase tracking-[0.3em] text-zinc-400"></p>
        <h1 className="flex gap-3 text-6xl font-black">
          {"We build brands".split(" ").map((word) => (
            <span key={word} className="hero-word inline-block">
              {word}
            </span>
          ))}
        </h1>
        <Button variant="secondary">See our work</Button>
      </section>
      {["Strategy", "Identity", "Motion"].map((title) => (
        <section key={title} className="panel flex h-[60vh] items-center justify-center border-b text-4xl font-bold">
          {title}
        </section>
      ))}
    </div>
  )
}

"use client"

import { useState } from "react"
import { Activity, Flame, Footprints } from "lucide-react"
import { Button } from "@/components/ui/button"
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card"
import { Accordion, AccordionContent, AccordionItem, AccordionTrigger } from "@/components/ui/accordion"

export default function Home() {
  const [steps, setSteps] = useState(8432)
  return (
    <main className="container space-y-8 py-10">
      <div className="flex items-center justify-between">
        <h1 id="title" className="text-4xl font-bold tracking-tight">Today</h1>
        <span className="relative flex size-4">
          <span id="ring" className="absolute inline-flex size-full animate-pulse-ring rounded-full bg-brand-500" />
          <span className="relative inline-flex size-4 rounded-full bg-brand-500" />
        </span>
      </div>
      <div className="grid gap-4 md:grid-cols-3">
        <Card id="steps-card" className="border-brand-500/40 bg-brand-50">
          <CardHeader className="flex flex-row items-center justify-between space-y-0 pb-2">
            <CardTitle className="text-sm font-medium">Steps</CardTitle>
            <Footprints className="h-4 w-4 text-brand-500" />
          </CardHeader>
          <CardContent>
            <div id="steps" className="stat-value">{steps.toLocaleString("en-US")}</div>
          </CardContent>
        </Card>
        <Card>
          <CardHeader className="flex flex-row items-center justify-between space-y-0 pb-2">
            <CardTitle className="text-sm font-medium">Calories</CardTitle>
            <Flame className="h-4 w-4 text-orange-500" />
          </CardHeader>
          <CardContent>
            <div className="stat-value">512</div>
          </CardContent>
        </Card>
        <Card>
          <CardHeader className="flex flex-row items-center justify-between space-y-0 pb-2">
            <CardTitle className="text-sm font-medium">Active minutes</CardTitle>
            <Activity className="h-4 w-4 text-sky-500" />
          </CardHeader>
          <CardContent>
            <div className="stat-value">47</div>
          </CardContent>
        </Card>
      </div>
      <Button id="add" className="rounded-lg" onClick={() => setSteps(steps + 1000)}>
        Log 1,000 steps
      </Button>
      <Accordion type="single" collapsible defaultValue="tips">
        <AccordionItem value="tips">
          <AccordionTrigger>Tips</AccordionTrigger>
          <AccordionContent>Walk after meals; it helps.</AccordionContent>
        </AccordionItem>
      </Accordion>
    </main>
  )
}

"use client"

import { useEffect, useState } from "react"
import sdk, { type Context } from "@farcaster/frame-sdk"
import { Button } from "@/components/ui/button"
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card"

export function MiniApp() {
  const [ready, setReady] = useState(false)
  const [context, setContext] = useState<Context.FrameContext | null>(null)
  const [count, setCount] = useState(0)

  useEffect(() => {
    const load = async () => {
      try {
        setContext(await Promise.race([sdk.context, new Promise<null>((r) => setTimeout(() => r(null), 300))]))
      } catch {
        setContext(null)
      }
      sdk.actions.ready()
      setReady(true)
    }
    load()
  }, [])

  return (
    <Card className="w-full max-w-sm">
      <CardHeader>
        <CardTitle>Tap game</CardTitle>
        <CardDescription id="status">{ready ? (context ? `Hi @${context.user.username}` : "Open in Warpcast to play with friends") : "Loading…"}</CardDescription>
      </CardHeader>
      <CardContent className="space-y-4 text-center">
        <div id="taps" className="text-6xl font-black tabular-nums">{count}</div>
        <Button className="w-full" size="lg" onClick={() => setCount(count + 1)}>
          Tap!
        </Button>
      </CardContent>
    </Card>
  )
}

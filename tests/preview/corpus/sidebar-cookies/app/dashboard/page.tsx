import { headers } from "next/headers"
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card"
import { InviteForm } from "@/components/invite-form"

export const dynamic = "force-dynamic"

export default async function DashboardPage() {
  const agent = (await headers()).get("user-agent") ?? ""
  return (
    <div className="space-y-6">
      <h1 id="overview" className="text-3xl font-bold">Overview</h1>
      <Card>
        <CardHeader>
          <CardTitle>Invite your team</CardTitle>
        </CardHeader>
        <CardContent>
          <InviteForm />
        </CardContent>
      </Card>
      <p className="text-xs text-muted-foreground">{agent ? "Signed in" : "Anonymous"}</p>
    </div>
  )
}

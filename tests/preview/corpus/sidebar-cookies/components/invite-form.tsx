"use client"

import { useActionState } from "react"
import { inviteMember, type InviteState } from "@/lib/actions"
import { Button } from "@/components/ui/button"
import { Input } from "@/components/ui/input"

export function InviteForm() {
  const [state, action, pending] = useActionState<InviteState, FormData>(inviteMember, { ok: false, message: "" })
  return (
    <form action={action} className="flex max-w-md gap-2">
      <Input name="email" id="email" placeholder="teammate@company.com" />
      <Button id="invite" type="submit" disabled={pending}>
        {pending ? "Sending…" : "Invite"}
      </Button>
      <p id="invite-result" className="text-sm text-muted-foreground">
        {state.message}
      </p>
    </form>
  )
}

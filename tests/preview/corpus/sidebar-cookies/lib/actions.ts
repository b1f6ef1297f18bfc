"use server"

import { revalidatePath } from "next/cache"
import { z } from "zod"

const schema = z.object({ email: z.string().email() })

export type InviteState = { ok: boolean; message: string }

export async function inviteMember(_prev: InviteState, formData: FormData): Promise<InviteState> {
  const parsed = schema.safeParse({ email: formData.get("email") })
  if (!parsed.success) return { ok: false, message: "Enter a valid email address" }
  await new Promise((resolve) => setTimeout(resolve, 50))
  revalidatePath("/dashboard")
  return { ok: true, message: `Invitation sent to ${parsed.data.email}` }
}

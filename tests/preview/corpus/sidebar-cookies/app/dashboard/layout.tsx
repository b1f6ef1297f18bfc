import type React from "react"
import { cookies } from "next/headers"
import { AppSidebar } from "@/components/app-sidebar"

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  const cookieStore = await cookies()
  const defaultOpen = cookieStore.get("sidebar_state")?.value !== "false"

  return (
    <div className="flex min-h-screen">
      <AppSidebar defaultOpen={defaultOpen} />
      <div className="flex-1 p-8">{children}</div>
    </div>
  )
}

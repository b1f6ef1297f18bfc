"use client"

import { useState } from "react"
import Link from "next/link"
import { usePathname } from "next/navigation"
import { Home, Users, Settings, PanelLeft } from "lucide-react"
import { Button } from "@/components/ui/button"
import { cn } from "@/lib/utils"

const items = [
  { href: "/dashboard", label: "Overview", icon: Home },
  { href: "/dashboard/contacts", label: "Contacts", icon: Users },
  { href: "/dashboard/settings", label: "Settings", icon: Settings },
]

export function AppSidebar({ defaultOpen }: { defaultOpen: boolean }) {
  const [open, setOpen] = useState(defaultOpen)
  const pathname = usePathname()
  const toggle = () => {
    document.cookie = `sidebar_state=${!open}; path=/; max-age=604800`
    setOpen(!open)
  }
  return (
    <aside id="sidebar" data-state={open ? "expanded" : "collapsed"} className={cn("border-r bg-sidebar p-3 transition-all", open ? "w-60" : "w-16")}>
      <Button variant="ghost" size="icon" onClick={toggle} aria-label="Toggle sidebar">
        <PanelLeft />
      </Button>
      <nav className="mt-4 space-y-1">
        {items.map(({ href, label, icon: Icon }) => (
          <Link
            key={href}
            href={href}
            className={cn("flex items-center gap-3 rounded-md px-3 py-2 text-sm hover:bg-sidebar-accent", pathname === href && "bg-sidebar-accent font-medium")}
          >
            <Icon className="size-4" />
            {open && label}
          </Link>
        ))}
      </nav>
    </aside>
  )
}

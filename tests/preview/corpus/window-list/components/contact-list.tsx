"use client"

import { FixedSizeList as List, type ListChildComponentProps } from "react-window"
import { Avatar, AvatarFallback } from "@/components/ui/avatar"
import { Input } from "@/components/ui/input"
import { useMemo, useState } from "react"

const people = Array.from({ length: 10000 }, (_, i) => ({ id: i, name: `Contact ${i + 1}`, email: `contact${i + 1}@example.com` }))

function Row({ index, style, data }: ListChildComponentProps<typeof people>) {
  const person = data[index]
  return (
    <div style={style} className="contact-row flex items-center gap-3 border-b px-4">
      <Avatar className="size-8">
        <AvatarFallback>{person.name.slice(-2)}</AvatarFallback>
      </Avatar>
      <div>
        <div className="text-sm font-medium">{person.name}</div>
        <div className="text-xs text-muted-foreground">{person.email}</div>
      </div>
    </div>
  )
}

export function ContactList() {
  const [query, setQuery] = useState("")
  const visible = useMemo(() => people.filter((p) => p.name.toLowerCase().includes(query.toLowerCase())), [query])
  return (
    <div className="space-y-3">
      <Input placeholder="Search 10,000 contacts" value={query} onChange={(e) => setQuery(e.target.value)} />
      <div className="rounded-lg border">
        <List height={480} itemCount={visible.length} itemSize={56} width="100%" itemData={visible}>
          {Row}
        </List>
      </div>
    </div>
  )
}

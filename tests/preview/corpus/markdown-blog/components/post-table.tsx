"use client"

import { useMemo, useState } from "react"
import { debounce, sortBy } from "lodash"
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef } from "@tanstack/react-table"
import { Input } from "@/components/ui/input"
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from "@/components/ui/table"
import { posts, type Post } from "@/lib/posts"

const columns: ColumnDef<Post>[] = [
  { accessorKey: "title", header: "Title" },
  { accessorKey: "date", header: "Date" },
]

export function PostTable() {
  const [query, setQuery] = useState("")
  const onSearch = useMemo(() => debounce((value: string) => setQuery(value), 150), [])
  const data = useMemo(() => sortBy(posts.filter((p) => p.title.toLowerCase().includes(query.toLowerCase())), "date").reverse(), [query])
  const table = useReactTable({ data, columns, getCoreRowModel: getCoreRowModel() })
  return (
    <div className="space-y-2">
      <Input placeholder="Search posts" onChange={(e) => onSearch(e.target.value)} />
      <Table>
        <TableHeader>
          {table.getHeaderGroups().map((group) => (
            <TableRow key={group.id}>
              {group.headers.map((header) => (
                <TableHead key={header.id}>{flexRender(header.column.columnDef.header, header.getContext())}</TableHead>
              ))}
            </TableRow>
          ))}
        </TableHeader>
        <TableBody>
          {table.getRowModel().rows.map((row) => (
            <TableRow key={row.id} className="post-row">
              {row.getVisibleCells().map((cell) => (
                <TableCell key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</TableCell>
              ))}
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </div>
  )
}

import { v4 as uuid } from "uuid"

export type Post = { id: string; title: string; date: string; tags: string[]; body: string }

export const posts: Post[] = [
  {
    id: uuid(),
    title: "Debouncing search inputs",
    date: "2024-03-02",
    tags: ["react", "performance"],
    body: "## Why debounce?\n\nTyping fires an event per key. **Debounce** waits for a pause:\n\n```ts\nconst search = debounce((q: string) => fetchResults(q), 300)\n```\n\n| Approach | Requests |\n|---|---|\n| none | 12 |\n| debounce | 1 |\n\n- [x] fewer requests\n- [ ] cancel in-flight ones",
  },
  {
    id: uuid(),
    title: "Tables without the pain",
    date: "2024-05-18",
    tags: ["tables"],
    body: "TanStack Table is ~~heavy~~ headless: you bring the markup.",
  },
]

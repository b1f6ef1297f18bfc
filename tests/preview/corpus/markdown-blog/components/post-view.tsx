"use client"

import Markdown from "react-markdown"
import remarkGfm from "remark-gfm"
import { Prism as SyntaxHighlighter } from "react-syntax-highlighter"
import { oneDark } from "react-syntax-highlighter/dist/esm/styles/prism"
import moment from "moment"
import { CalendarIcon } from "@radix-ui/react-icons"
import { Badge } from "@/components/ui/badge"
import type { Post } from "@/lib/posts"

export function PostView({ post }: { post: Post }) {
  return (
    <article className="post space-y-4">
      <h2 className="text-2xl font-bold">{post.title}</h2>
      <p className="flex items-center gap-2 text-sm text-muted-foreground">
        <CalendarIcon /> <span className="date">{moment(post.date).format("MMMM D, YYYY")}</span>
        {post.tags.map((tag) => (
          <Badge key={tag} variant="secondary">
            {tag}
          </Badge>
        ))}
      </p>
      <div className="prose max-w-none space-y-3 [&_table]:w-full [&_td]:border [&_td]:p-2 [&_th]:border [&_th]:p-2">
        <Markdown
          remarkPlugins={[remarkGfm]}
          components={{
            code({ className, children }) {
              const language = /language-(\w+)/.exec(className || "")?.[1]
              return language ? (
                <SyntaxHighlighter language={language} style={oneDark} PreTag="div">
                  {String(children).replace(/\n$/, "")}
                </SyntaxHighlighter>
              ) : (
                <code className="rounded bg-muted px-1">{children}</code>
              )
            },
          }}
        >
          {post.body}
        </Markdown>
      </div>
    </article>
  )
}

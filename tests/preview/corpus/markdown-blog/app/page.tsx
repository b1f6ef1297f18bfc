import { PostTable } from "@/components/post-table"
import { PostView } from "@/components/post-view"
import { posts } from "@/lib/posts"

export default function Blog() {
  return (
    <main className="mx-auto max-w-3xl space-y-10 px-6 py-12">
      <h1 className="text-4xl font-bold">Notes on the web</h1>
      <PostTable />
      {posts.map((post) => (
        <PostView key={post.id} post={post} />
      ))}
    </main>
  )
}

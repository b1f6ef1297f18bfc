import { Button } from "@/components/ui/button"
import {
  Card,
  CardContent,
  CardDescription,
  CardFooter,
  CardHeader,
  CardTitle,
} from "@/components/ui/card"
import { Input } from "@/components/ui/input"

export default function Home() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/40 p-6">
      <Card className="w-full max-w-md">
        <CardHeader>
          <CardTitle className="text-2xl">Welcome</CardTitle>
          <CardDescription>
            A Next.js starter with Tailwind CSS and shadcn/ui components. Describe what to build and it
            grows from here.
          </CardDescription>
        </CardHeader>
        <CardContent>
          <form className="flex gap-2">
            <Input type="email" placeholder="you@example.com" aria-label="Email" />
            <Button type="submit">Join</Button>
          </form>
        </CardContent>
        <CardFooter className="text-sm text-muted-foreground">
          Edit app/page.tsx to get started.
        </CardFooter>
      </Card>
    </main>
  )
}

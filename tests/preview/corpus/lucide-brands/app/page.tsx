import { Avatar, AvatarFallback, AvatarImage } from "@/components/ui/avatar"
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card"
import { Separator } from "@/components/ui/separator"
import { SocialLinks } from "@/components/social-links"

export default function Portfolio() {
  return (
    <main className="mx-auto max-w-2xl space-y-8 px-6 py-16">
      <div className="flex items-center gap-4">
        <Avatar className="size-16">
          <AvatarImage src="/placeholder-user.jpg" alt="Jane Doe" />
          <AvatarFallback>JD</AvatarFallback>
        </Avatar>
        <div>
          <h1 className="text-3xl font-bold">Jane Doe</h1>
          <p className="text-muted-foreground">Frontend engineer in Lisbon</p>
        </div>
      </div>
      <SocialLinks />
      <Separator />
      <Card>
        <CardHeader>
          <CardTitle>Selected work</CardTitle>
        </CardHeader>
        <CardContent className="text-sm text-muted-foreground">Design systems, data visualisation and developer tools.</CardContent>
      </Card>
    </main>
  )
}

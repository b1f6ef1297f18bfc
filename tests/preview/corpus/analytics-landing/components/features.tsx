import { BarChart3, Flag, Rocket } from "lucide-react"
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card"

const features = [
  { icon: BarChart3, title: "Analytics", text: "Know which features your users love." },
  { icon: Flag, title: "Feature flags", text: "Roll out safely to a percentage of users." },
  { icon: Rocket, title: "Deploys", text: "Preview every branch, promote with one click." },
]

export function Features() {
  return (
    <section className="mx-auto grid max-w-5xl gap-6 px-6 pb-24 md:grid-cols-3">
      {features.map(({ icon: Icon, title, text }) => (
        <Card key={title} className="feature-card">
          <CardHeader>
            <Icon className="size-6 text-primary" />
            <CardTitle>{title}</CardTitle>
            <CardDescription>{text}</CardDescription>
          </CardHeader>
          <CardContent />
        </Card>
      ))}
    </section>
  )
}

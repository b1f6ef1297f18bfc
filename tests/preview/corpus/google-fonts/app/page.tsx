import { CalendarHeart, MapPin } from "lucide-react"
import { Button } from "@/components/ui/button"

export default function Invite() {
  return (
    <main className="mx-auto flex min-h-screen max-w-xl flex-col items-center justify-center gap-6 bg-rose-50 px-6 text-center">
      <p id="script" className="font-script text-5xl text-rose-600">Ana &amp; Luís</p>
      <p id="serif" className="text-2xl italic">request the pleasure of your company</p>
      <p id="mono" className="font-mono text-sm font-bold tracking-widest uppercase">
        <CalendarHeart className="mr-2 inline size-4" />
        14.09.2025 · 16:00
      </p>
      <p className="flex items-center gap-1 font-sans text-sm text-muted-foreground">
        <MapPin className="size-4" /> Quinta do Vale, Sintra
      </p>
      <Button className="font-sans">RSVP</Button>
      <p className="banner text-3xl tracking-wide">Save the date</p>
      <p className="signature text-2xl">with love, A &amp; L</p>
    </main>
  )
}

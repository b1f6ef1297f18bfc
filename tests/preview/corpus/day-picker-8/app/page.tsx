import { BookingCard } from "@/components/booking-card"

export default function Page() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-muted/40 p-6">
      <BookingCard />
    </main>
  )
}

import { QrForm } from "@/components/qr-form"

export default function Page() {
  return (
    <main className="flex min-h-screen items-center justify-center p-6">
      <QrForm />
    </main>
  )
}

import { ContactForm } from "@/components/contact-form"

export default function Page() {
  return (
    <main className="mx-auto max-w-xl px-6 py-16">
      <h1 className="mb-8 text-3xl font-bold">Contact us</h1>
      <ContactForm />
    </main>
  )
}

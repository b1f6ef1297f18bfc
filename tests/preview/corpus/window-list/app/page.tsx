import { ContactList } from "@/components/contact-list"

export default function Page() {
  return (
    <main className="mx-auto max-w-xl space-y-6 p-8">
      <h1 className="text-3xl font-bold">Contacts</h1>
      <ContactList />
    </main>
  )
}

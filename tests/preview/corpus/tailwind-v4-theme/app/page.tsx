import { Coffee } from "lucide-react"
import { ModeToggle } from "@/components/mode-toggle"

const menu = [
  { name: "Espresso", price: "$3.00" },
  { name: "Flat white", price: "$4.20" },
  { name: "Cortado", price: "$3.80" },
]

export default function Page() {
  return (
    <main className="mx-auto max-w-2xl space-y-8 px-6 py-16">
      <header className="flex items-center justify-between">
        <h1 id="heading" className="font-display text-shadow-soft text-5xl font-bold text-espresso-900 dark:text-espresso-100">
          Brew &amp; Co.
        </h1>
        <ModeToggle />
      </header>
      <Coffee id="cup" className="size-10 animate-steam text-espresso-500" />
      <ul className="space-y-3">
        {menu.map((item) => (
          <li key={item.name} className="menu-item">
            <span>{item.name}</span>
            <span className="font-semibold text-primary">{item.price}</span>
          </li>
        ))}
      </ul>
    </main>
  )
}

"use client"

import { useState } from "react"
import { AnimatePresence, motion, useReducedMotion } from "framer-motion"
import { Check } from "lucide-react"
import { toast, Toaster } from "sonner"
import { Button } from "@/components/ui/button"
import { Switch } from "@/components/ui/switch"
import { Label } from "@/components/ui/label"

const plans = [
  { name: "Starter", monthly: 9, yearly: 90, features: ["1 project", "Email support"] },
  { name: "Pro", monthly: 29, yearly: 290, features: ["Unlimited projects", "Priority support", "Analytics"] },
]

export function Pricing() {
  const [yearly, setYearly] = useState(false)
  const reduce = useReducedMotion()
  return (
    <div className="space-y-8">
      <div className="flex items-center justify-center gap-3">
        <Label htmlFor="billing">Monthly</Label>
        <Switch id="billing" checked={yearly} onCheckedChange={setYearly} />
        <Label htmlFor="billing">Yearly</Label>
      </div>
      <div className="grid gap-6 md:grid-cols-2">
        {plans.map((plan, i) => (
          <motion.div
            key={plan.name}
            className="plan rounded-2xl border p-6 shadow-sm"
            initial={{ opacity: 0, y: reduce ? 0 : 24 }}
            animate={{ opacity: 1, y: 0 }}
            transition={{ delay: i * 0.1 }}
            whileHover={{ scale: 1.02 }}
          >
            <h2 className="text-xl font-semibold">{plan.name}</h2>
            <AnimatePresence mode="wait">
              <motion.p
                key={yearly ? "y" : "m"}
                className="price mt-2 text-4xl font-bold"
                initial={{ opacity: 0, y: -8 }}
                animate={{ opacity: 1, y: 0 }}
                exit={{ opacity: 0, y: 8 }}
              >
                ${yearly ? plan.yearly : plan.monthly}
                <span className="text-base font-normal text-muted-foreground">/{yearly ? "yr" : "mo"}</span>
              </motion.p>
            </AnimatePresence>
            <ul className="mt-4 space-y-2 text-sm">
              {plan.features.map((f) => (
                <li key={f} className="flex items-center gap-2">
                  <Check className="size-4 text-emerald-500" /> {f}
                </li>
              ))}
            </ul>
            <Button className="mt-6 w-full" onClick={() => toast(`${plan.name} selected`)}>
              Choose {plan.name}
            </Button>
          </motion.div>
        ))}
      </div>
      <Toaster />
    </div>
  )
}

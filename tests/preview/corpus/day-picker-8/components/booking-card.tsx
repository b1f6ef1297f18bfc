"use client"

import * as React from "react"
import { addDays, format } from "date-fns"
import type { DateRange } from "react-day-picker"
import { CalendarIcon } from "lucide-react"
import { Button } from "@/components/ui/button"
import { Calendar } from "@/components/ui/calendar"
import { Card, CardContent, CardDescription, CardFooter, CardHeader, CardTitle } from "@/components/ui/card"
import { Popover, PopoverContent, PopoverTrigger } from "@/components/ui/popover"
import { cn } from "@/lib/utils"

export function BookingCard() {
  const [date, setDate] = React.useState<DateRange | undefined>({
    from: new Date(2025, 5, 12),
    to: addDays(new Date(2025, 5, 12), 4),
  })
  const [single, setSingle] = React.useState<Date | undefined>(new Date(2025, 5, 20))

  return (
    <Card className="w-full max-w-3xl">
      <CardHeader>
        <CardTitle>Book your stay</CardTitle>
        <CardDescription>Pick the nights you want at the cabin.</CardDescription>
      </CardHeader>
      <CardContent className="flex flex-col gap-6 md:flex-row">
        <Calendar
          id="range-calendar"
          mode="range"
          defaultMonth={date?.from}
          selected={date}
          onSelect={setDate}
          numberOfMonths={2}
          className="rounded-md border"
        />
      </CardContent>
      <CardFooter className="flex items-center justify-between gap-4">
        <p id="range-text" className="text-sm text-muted-foreground">
          {date?.from && date.to ? `${format(date.from, "LLL dd, y")} - ${format(date.to, "LLL dd, y")}` : "Pick a date"}
        </p>
        <Popover>
          <PopoverTrigger asChild>
            <Button variant="outline" className={cn("w-[240px] justify-start text-left font-normal", !single && "text-muted-foreground")}>
              <CalendarIcon />
              {single ? format(single, "PPP") : <span>Pick a date</span>}
            </Button>
          </PopoverTrigger>
          <PopoverContent className="w-auto p-0" align="start">
            <Calendar mode="single" selected={single} onSelect={setSingle} initialFocus />
          </PopoverContent>
        </Popover>
      </CardFooter>
    </Card>
  )
}

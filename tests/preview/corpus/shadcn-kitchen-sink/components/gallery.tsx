"use client"

import * as React from "react"
import * as AccordionPrimitive from "@radix-ui/react-accordion"
import * as AlertDialog from "@radix-ui/react-alert-dialog"
import { AspectRatio } from "@radix-ui/react-aspect-ratio"
import * as Collapsible from "@radix-ui/react-collapsible"
import * as ContextMenu from "@radix-ui/react-context-menu"
import * as HoverCard from "@radix-ui/react-hover-card"
import * as Menubar from "@radix-ui/react-menubar"
import * as NavigationMenu from "@radix-ui/react-navigation-menu"
import * as RadioGroup from "@radix-ui/react-radio-group"
import * as ToastPrimitives from "@radix-ui/react-toast"
import * as Toggle from "@radix-ui/react-toggle"
import * as ToggleGroup from "@radix-ui/react-toggle-group"
import { Command } from "cmdk"
import { Drawer } from "vaul"
import { OTPInput, REGEXP_ONLY_DIGITS } from "input-otp"
import { PanelGroup, Panel, PanelResizeHandle } from "react-resizable-panels"
import useEmblaCarousel from "embla-carousel-react"
import { Bold, Italic } from "lucide-react"
import { Button } from "@/components/ui/button"
import { Dialog, DialogContent, DialogTitle, DialogTrigger } from "@/components/ui/dialog"
import { Select, SelectContent, SelectItem, SelectTrigger, SelectValue } from "@/components/ui/select"
import { Tooltip, TooltipContent, TooltipTrigger } from "@/components/ui/tooltip"

export function Gallery() {
  const [emblaRef] = useEmblaCarousel({ loop: true })
  const [otp, setOtp] = React.useState("12")
  return (
    <ToastPrimitives.Provider>
      <div className="grid gap-6">
        <AccordionPrimitive.Root type="single" collapsible defaultValue="a">
          <AccordionPrimitive.Item value="a">
            <AccordionPrimitive.Trigger>Accordion</AccordionPrimitive.Trigger>
            <AccordionPrimitive.Content id="accordion-open">Open by default</AccordionPrimitive.Content>
          </AccordionPrimitive.Item>
        </AccordionPrimitive.Root>
        <AlertDialog.Root>
          <AlertDialog.Trigger asChild>
            <Button variant="destructive">Delete</Button>
          </AlertDialog.Trigger>
        </AlertDialog.Root>
        <div className="w-48">
          <AspectRatio ratio={16 / 9} className="bg-muted" id="ratio" />
        </div>
        <Collapsible.Root defaultOpen>
          <Collapsible.Trigger>Collapsible</Collapsible.Trigger>
          <Collapsible.Content>Shown</Collapsible.Content>
        </Collapsible.Root>
        <ContextMenu.Root>
          <ContextMenu.Trigger className="rounded border p-4">Right click</ContextMenu.Trigger>
        </ContextMenu.Root>
        <HoverCard.Root>
          <HoverCard.Trigger>@nextjs</HoverCard.Trigger>
        </HoverCard.Root>
        <Menubar.Root className="flex gap-2">
          <Menubar.Menu>
            <Menubar.Trigger>File</Menubar.Trigger>
          </Menubar.Menu>
        </Menubar.Root>
        <NavigationMenu.Root>
          <NavigationMenu.List className="flex gap-2">
            <NavigationMenu.Item>
              <NavigationMenu.Link href="#docs">Docs</NavigationMenu.Link>
            </NavigationMenu.Item>
          </NavigationMenu.List>
        </NavigationMenu.Root>
        <RadioGroup.Root defaultValue="b" className="flex gap-2">
          <RadioGroup.Item value="a" className="size-4 rounded-full border" aria-label="a" />
          <RadioGroup.Item value="b" className="size-4 rounded-full border data-[state=checked]:bg-primary" aria-label="b" id="radio-b" />
        </RadioGroup.Root>
        <Toggle.Root aria-label="Bold" defaultPressed id="toggle">
          <Bold className="size-4" />
        </Toggle.Root>
        <ToggleGroup.Root type="single" defaultValue="italic">
          <ToggleGroup.Item value="italic" aria-label="Italic">
            <Italic className="size-4" />
          </ToggleGroup.Item>
        </ToggleGroup.Root>
        <Command className="rounded border" id="command">
          <Command.Input placeholder="Search…" />
          <Command.List>
            <Command.Item>Calendar</Command.Item>
            <Command.Item>Settings</Command.Item>
          </Command.List>
        </Command>
        <Drawer.Root>
          <Drawer.Trigger asChild>
            <Button variant="outline">Drawer</Button>
          </Drawer.Trigger>
        </Drawer.Root>
        <OTPInput
          maxLength={6}
          value={otp}
          onChange={setOtp}
          pattern={REGEXP_ONLY_DIGITS}
          render={({ slots }) => (
            <div className="flex gap-1" id="otp">
              {slots.map((slot, i) => (
                <div key={i} className="flex size-8 items-center justify-center border">
                  {slot.char}
                </div>
              ))}
            </div>
          )}
        />
        <PanelGroup direction="horizontal" className="h-24 rounded border" id="panels">
          <Panel defaultSize={50}>One</Panel>
          <PanelResizeHandle className="w-1 bg-border" />
          <Panel defaultSize={50}>Two</Panel>
        </PanelGroup>
        <div className="overflow-hidden" ref={emblaRef}>
          <div className="flex">
            {[1, 2, 3].map((n) => (
              <div key={n} className="embla-slide min-w-0 flex-[0_0_100%] p-6 text-center">
                Slide {n}
              </div>
            ))}
          </div>
        </div>
        <Dialog>
          <DialogTrigger asChild>
            <Button id="open-dialog">Open dialog</Button>
          </DialogTrigger>
          <DialogContent>
            <DialogTitle>Pick a size</DialogTitle>
            <Select defaultValue="m">
              <SelectTrigger id="size-trigger">
                <SelectValue />
              </SelectTrigger>
              <SelectContent>
                <SelectItem value="s">Small</SelectItem>
                <SelectItem value="m">Medium</SelectItem>
                <SelectItem value="l" id="size-large">Large</SelectItem>
              </SelectContent>
            </Select>
          </DialogContent>
        </Dialog>
        <Tooltip>
          <TooltipTrigger asChild>
            <Button variant="ghost">Hover me</Button>
          </TooltipTrigger>
          <TooltipContent>Tooltip</TooltipContent>
        </Tooltip>
      </div>
      <ToastPrimitives.Viewport />
    </ToastPrimitives.Provider>
  )
}

"use client"

import { useEffect, useState } from "react"
import QRCode from "qrcode"
import { Download } from "lucide-react"
import { Button } from "@/components/ui/button"
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card"
import { Input } from "@/components/ui/input"
import { Label } from "@/components/ui/label"
import { Slider } from "@/components/ui/slider"

export function QrForm() {
  const [text, setText] = useState("https://v0.app")
  const [size, setSize] = useState([256])
  const [dataUrl, setDataUrl] = useState("")

  useEffect(() => {
    QRCode.toDataURL(text || " ", { width: size[0], margin: 1, color: { dark: "#111827", light: "#ffffff" } }).then(setDataUrl)
  }, [text, size])

  return (
    <Card className="w-full max-w-md">
      <CardHeader>
        <CardTitle>QR code generator</CardTitle>
      </CardHeader>
      <CardContent className="space-y-4">
        <div className="space-y-2">
          <Label htmlFor="text">Text or URL</Label>
          <Input id="text" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="space-y-2">
          <Label>Size: {size[0]}px</Label>
          <Slider min={128} max={512} step={32} value={size} onValueChange={setSize} />
        </div>
        {dataUrl && <img id="qr" src={dataUrl} alt="QR code" className="mx-auto rounded-md border" />}
        <Button asChild className="w-full">
          <a href={dataUrl} download="qr.png">
            <Download /> Download PNG
          </a>
        </Button>
      </CardContent>
    </Card>
  )
}

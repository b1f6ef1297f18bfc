import type React from "react"
import type { Metadata } from "next"
import { Inter, Lobster, Space_Mono, Cormorant_Garamond } from "next/font/google"
import "./globals.css"

const inter = Inter({ subsets: ["latin"], variable: "--font-inter" })
const lobster = Lobster({ weight: "400", subsets: ["latin"], variable: "--font-lobster" })
const mono = Space_Mono({ weight: ["400", "700"], subsets: ["latin"], variable: "--font-space-mono" })
const serif = Cormorant_Garamond({ weight: ["400", "600"], style: ["normal", "italic"], subsets: ["latin"] })

export const metadata: Metadata = {
  title: "Ana & Luís",
  description: "Created with v0",
}

export default function RootLayout({ children }: Readonly<{ children: React.ReactNode }>) {
  return (
    <html lang="en" className={`${inter.variable} ${lobster.variable} ${mono.variable}`}>
      <head>
        <link rel="preconnect" href="https://fonts.googleapis.com" />
        <link href="https://fonts.googleapis.com/css2?family=Caveat:wght@400;700&display=swap" rel="stylesheet" />
      </head>
      <body className="font-sans antialiased">
        <div className={serif.className}>{children}</div>
      </body>
    </html>
  )
}

import { Github, Twitter, Linkedin, Instagram, Youtube, Facebook, Mail } from "lucide-react"
import { Button } from "@/components/ui/button"

const links = [
  { href: "https://github.com/jane", label: "GitHub", icon: Github },
  { href: "https://twitter.com/jane", label: "Twitter", icon: Twitter },
  { href: "https://linkedin.com/in/jane", label: "LinkedIn", icon: Linkedin },
  { href: "https://instagram.com/jane", label: "Instagram", icon: Instagram },
  { href: "https://youtube.com/@jane", label: "YouTube", icon: Youtube },
  { href: "https://facebook.com/jane", label: "Facebook", icon: Facebook },
]

export function SocialLinks() {
  return (
    <div className="flex flex-wrap gap-2">
      {links.map(({ href, label, icon: Icon }) => (
        <Button key={label} variant="outline" size="icon" asChild>
          <a href={href} aria-label={label} target="_blank" rel="noreferrer">
            <Icon />
          </a>
        </Button>
      ))}
      <Button variant="ghost" size="icon" aria-label="Email">
        <Mail />
      </Button>
    </div>
  )
}

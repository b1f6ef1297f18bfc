// Light, dark, or the system's theme; the choice is kept in localStorage (theme.ts applies it before paint).
import { store } from "./store";

export type Theme = "light" | "dark" | "system";

function stored(): Theme {
  try {
    const value = localStorage.getItem("vzero-theme");
    return value === "light" || value === "dark" ? value : "system";
  } catch {
    return "system";
  }
}

export const theme = store<Theme>(stored());

export function setTheme(value: Theme): void {
  try {
    if (value === "system") localStorage.removeItem("vzero-theme");
    else localStorage.setItem("vzero-theme", value);
  } catch {
    // storage blocked: the choice lasts for this page only
  }
  if (value === "system") delete document.documentElement.dataset.theme;
  else document.documentElement.dataset.theme = value;
  theme.set(value);
}

/** The theme in force now (the system's preference when none was chosen). */
export function effectiveTheme(): "light" | "dark" {
  const chosen = theme.get();
  if (chosen !== "system") return chosen;
  return matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
}

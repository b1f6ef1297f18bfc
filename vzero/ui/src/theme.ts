// Runs before the first paint: applies the theme the person chose (light, dark, or the system's).
try {
  const chosen = localStorage.getItem("vzero-theme");
  if (chosen === "light" || chosen === "dark") document.documentElement.dataset.theme = chosen;
} catch {
  // storage blocked: the system's theme applies
}

// next/font/google for a family with no font files here (offline, or unknown): its fallback fonts are used.
export default null;

// next/head for the offline preview: React 19 hoists <title>, <meta> and <link> into the head itself.
export default function Head({ children }) {
  return children ?? null;
}

// next/script for the offline preview: scripts from elsewhere cannot load here, so nothing renders.
export default function Script() {
  return null;
}

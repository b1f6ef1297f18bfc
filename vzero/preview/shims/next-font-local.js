// next/font/local: the bundler turned each font path into the URL of the file and passes the name the
// font was declared under (`const GeistSans = localFont(...)`), as Next.js's compiler does.
import { localFont } from "./fonts.js";

export default function load(options) {
  return localFont(options);
}

load.named = (name) => (options) => localFont(options, name);

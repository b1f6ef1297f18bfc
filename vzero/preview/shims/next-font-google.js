// next/font/google's loader: the app's module (written per build) passes each family's faces.
export { googleFont } from "./fonts.js";

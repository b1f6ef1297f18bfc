import { render } from "preact";
import "@fontsource-variable/inter/wght.css";
import "@fontsource-variable/jetbrains-mono/wght.css";
import "./styles.css";
import { App } from "./components/App";

render(<App />, document.getElementById("app")!);

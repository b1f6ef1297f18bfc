import { render } from "preact";
import "@fontsource-variable/inter/wght.css";
import "@fontsource-variable/jetbrains-mono/wght.css";
import "./styles.css";
import { prefetchChat } from "./chatModel";
import { App } from "./components/App";

const chat = /^\/chats\/([0-9A-Za-z]+)$/.exec(location.pathname);
if (chat) prefetchChat(chat[1]);

render(<App />, document.getElementById("app")!);

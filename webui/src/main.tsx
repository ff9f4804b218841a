import { render } from "preact";
import { App } from "./app.js";
import { lang } from "./state.js";
import "./styles.css";

document.documentElement.lang = lang.value;
render(<App />, document.getElementById("app") as HTMLElement);

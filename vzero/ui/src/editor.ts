// CodeMirror 6, loaded when the code view first opens (its own chunk): the editor of one file at a time.
import { autocompletion, closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { css } from "@codemirror/lang-css";
import { html } from "@codemirror/lang-html";
import { javascript } from "@codemirror/lang-javascript";
import { json } from "@codemirror/lang-json";
import { markdown } from "@codemirror/lang-markdown";
import { bracketMatching, foldGutter, indentOnInput, syntaxHighlighting } from "@codemirror/language";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { Compartment, EditorState, type Extension } from "@codemirror/state";
import {
  EditorView, crosshairCursor, drawSelection, highlightActiveLine, highlightActiveLineGutter, highlightSpecialChars, keymap, lineNumbers,
  rectangularSelection,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

function language(path: string): Extension {
  const ext = path.split(".").pop()?.toLowerCase() ?? "";
  if (["ts", "tsx", "mts", "cts"].includes(ext)) return javascript({ typescript: true, jsx: ext === "tsx" });
  if (["js", "jsx", "mjs", "cjs"].includes(ext)) return javascript({ jsx: true });
  if (["css", "scss"].includes(ext)) return css();
  if (["html", "htm", "svg"].includes(ext)) return html();
  if (ext === "json") return json();
  if (["md", "mdx"].includes(ext)) return markdown();
  return [];
}

export interface Editor {
  show(path: string, text: string, readOnly: boolean): void;
  focus(): void;
  destroy(): void;
}

export function createEditor(parent: HTMLElement, onChange: (path: string, text: string) => void, onSave: () => void): Editor {
  const lang = new Compartment();
  const readOnlyness = new Compartment();
  let current = "";
  const base: Extension[] = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    foldGutter(),
    drawSelection(),
    indentOnInput(),
    syntaxHighlighting(classHighlighter),
    bracketMatching(),
    closeBrackets(),
    autocompletion({ activateOnTyping: false }),
    rectangularSelection(),
    crosshairCursor(),
    highlightActiveLine(),
    highlightSelectionMatches(),
    keymap.of([
      { key: "Mod-s", preventDefault: true, run: () => (onSave(), true) },
      ...closeBracketsKeymap,
      ...defaultKeymap,
      ...searchKeymap,
      ...historyKeymap,
      indentWithTab,
    ]),
    EditorView.contentAttributes.of({ "aria-label": "Code editor" }),
    EditorView.updateListener.of((update) => {
      if (update.docChanged) onChange(current, update.state.doc.toString());
    }),
  ];
  const states = new Map<string, EditorState>();
  const view = new EditorView({ parent, state: EditorState.create({ doc: "", extensions: [base, lang.of([]), readOnlyness.of(EditorState.readOnly.of(true))] }) });

  return {
    show(path, text, readOnly) {
      if (current) states.set(current, view.state);
      current = path;
      const kept = states.get(path);
      const state =
        kept && kept.doc.toString() === text
          ? kept
          : EditorState.create({
              doc: text,
              extensions: [base, lang.of(language(path)), readOnlyness.of([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)])],
            });
      view.setState(state);
      view.dispatch({ effects: readOnlyness.reconfigure([EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)]) });
    },
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

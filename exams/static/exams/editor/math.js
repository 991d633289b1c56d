// Formulas in the question editor (exams/widgets.py): LaTeX in <span class="math-tex">\(...\)</span>,
// shown rendered by KaTeX; the toolbar's ∑ button or typing \( ... \) inserts one, clicking one edits it.
import { InputRule, Node, updateAttrsDialog } from "django-prose-editor/editor"

const DELIMITERS = [
  ["\\(", "\\)", false],
  ["\\[", "\\]", true],
  ["$$", "$$", true],
]

// {latex, display} of a stored formula's text: "\(x^2\)" -> {latex: "x^2", display: false}.
export function parseFormula(text) {
  const trimmed = text.trim()
  for (const [open, close, display] of DELIMITERS) {
    if (trimmed.startsWith(open) && trimmed.endsWith(close) && trimmed.length >= open.length + close.length) {
      return { latex: trimmed.slice(open.length, trimmed.length - close.length).trim(), display }
    }
  }
  return { latex: trimmed, display: false }
}

function formulaText({ latex, display }) {
  return display ? `\\[${latex}\\]` : `\\(${latex}\\)`
}

function render(dom, attrs) {
  dom.classList.toggle("math-display", !!attrs.display)
  dom.title = formulaText(attrs)
  if (window.katex) {
    window.katex.render(attrs.latex || "?", dom, { displayMode: !!attrs.display, throwOnError: false })
  } else {
    dom.textContent = formulaText(attrs)
  }
}

function askFormula(editor, attrs) {
  return updateAttrsDialog(
    {
      latex: {
        type: "string",
        format: "textarea",
        title: "Formula (LaTeX)",
        description: "For example x^2, \\frac{a}{b}, \\sqrt{2}, \\ce{H2O}",
        required: true,
      },
      display: { type: "boolean", title: "On a line of its own" },
    },
    { title: "Formula", submitText: attrs.latex ? "Update" : "Insert" },
  )(editor, attrs)
}

export const Math = Node.create({
  name: "math",
  group: "inline",
  inline: true,
  atom: true,
  selectable: true,

  addAttributes() {
    return { latex: { default: "" }, display: { default: false } }
  },

  parseHTML() {
    return [{ tag: "span.math-tex", getAttrs: (element) => parseFormula(element.textContent) }]
  },

  renderHTML({ node }) {
    return ["span", { class: "math-tex" }, formulaText(node.attrs)]
  },

  addNodeView() {
    return ({ node, editor, getPos }) => {
      const dom = document.createElement("span")
      dom.className = "prose-math"
      dom.contentEditable = "false"
      render(dom, node.attrs)
      dom.addEventListener("click", () => {
        askFormula(editor, { ...node.attrs }).then((attrs) => {
          if (!attrs || typeof getPos !== "function") return
          editor.chain().setNodeSelection(getPos()).updateAttributes("math", attrs).run()
        })
      })
      return {
        dom,
        update(updated) {
          if (updated.type.name !== "math") return false
          node = updated
          render(dom, node.attrs)
          return true
        },
        ignoreMutation: () => true,
      }
    }
  },

  addCommands() {
    return {
      insertMath:
        (attrs) =>
        ({ commands }) =>
          commands.insertContent({ type: this.name, attrs }),
    }
  },

  addInputRules() {
    // Typing "\(x^2\)" (or "\[...\]") turns into the formula.
    return [
      new InputRule({
        find: /\\([([])(.+?)\\([)\]])$/,
        handler: ({ state, range, match }) => {
          if ((match[1] === "(") !== (match[3] === ")")) return null
          const node = this.type.create({ latex: match[2].trim(), display: match[1] === "[" })
          state.tr.replaceWith(range.from, range.to, node)
        },
      }),
    ]
  },

  addMenuItems({ buttons, menu }) {
    menu.defineItem({
      name: "math",
      groups: "nodes",
      button: buttons.material("functions", "Formula (LaTeX)"),
      command(editor) {
        askFormula(editor, { latex: "", display: false }).then((attrs) => {
          if (attrs && attrs.latex.trim()) editor.chain().focus().insertMath(attrs).run()
        })
      },
    })
  },
})

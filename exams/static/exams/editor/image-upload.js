// Images in the question editor (exams/widgets.py): the toolbar's image button, a paste or a drop sends
// the file to the admin's upload endpoint and puts the returned URL in an <img> at the cursor.
import { Extension, Plugin } from "django-prose-editor/editor"

function csrfToken() {
  const field = document.querySelector("input[name=csrfmiddlewaretoken]")
  if (field) return field.value
  const cookie = document.cookie.split("; ").find((c) => c.startsWith("csrftoken="))
  return cookie ? cookie.slice("csrftoken=".length) : ""
}

async function upload(url, file) {
  const body = new FormData()
  body.append("image", file)
  const response = await fetch(url, {
    method: "POST",
    body,
    headers: { "X-CSRFToken": csrfToken() },
    credentials: "same-origin",
  })
  const answer = await response.json().catch(() => ({}))
  if (!response.ok) throw new Error(answer.error || `The upload failed (${response.status}).`)
  return answer.url
}

function chooseFile() {
  return new Promise((resolve) => {
    const input = document.createElement("input")
    input.type = "file"
    input.accept = "image/png,image/jpeg,image/gif,image/webp"
    input.addEventListener("change", () => resolve(input.files[0] || null))
    input.click()
  })
}

function images(files) {
  return Array.from(files || []).filter((file) => file.type.startsWith("image/"))
}

export const ImageUpload = Extension.create({
  name: "imageUpload",

  addOptions() {
    return { url: null }
  },

  addCommands() {
    return {
      uploadImage:
        (file) =>
        ({ editor }) => {
          const wrapper = editor.view.dom.closest(".prose-editor")
          wrapper?.classList.add("uploading")
          upload(this.options.url, file)
            .then((src) => editor.chain().focus().setImage({ src, alt: file.name.replace(/\.\w+$/, "") }).run())
            .catch((error) => window.alert(error.message))
            .finally(() => wrapper?.classList.remove("uploading"))
          return true
        },
    }
  },

  addProseMirrorPlugins() {
    const editor = this.editor
    const take = (files) => {
      const found = images(files)
      found.forEach((file) => editor.commands.uploadImage(file))
      return found.length > 0
    }
    return [
      new Plugin({
        props: {
          handlePaste: (view, event) => take(event.clipboardData?.files),
          handleDrop: (view, event) => take(event.dataTransfer?.files),
        },
      }),
    ]
  },

  addMenuItems({ buttons, menu }) {
    menu.defineItem({
      name: "imageUpload",
      groups: "nodes",
      button: buttons.material("add_photo_alternate", "Upload an image"),
      command(editor) {
        chooseFile().then((file) => file && editor.commands.uploadImage(file))
      },
    })
  },
})

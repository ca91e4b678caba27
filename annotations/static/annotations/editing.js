// Editing on the desk, in every page: a form's error messages go away as the field is fixed;
// "Same claimant as last time"; and in the claim panel, the span controls' keyboard moves and
// "Use the words selected in the text" (a new span dragged out with the mouse).

// --- Errors clear when fixed ------------------------------------------------------------------

function clearFieldError(field) {
  const box = field.closest(".field--error");
  if (!box) return;
  box.classList.remove("field--error");
  box.querySelectorAll(".field-error").forEach((p) => p.remove());
  field.removeAttribute("aria-invalid");
  const described = (field.getAttribute("aria-describedby") || "")
    .split(/\s+/)
    .filter((id) => id && !id.endsWith("_error"));
  if (described.length) field.setAttribute("aria-describedby", described.join(" "));
  else field.removeAttribute("aria-describedby");
}

function onFieldEdited(event) {
  const field = event.target;
  if (!(field instanceof HTMLElement) || !field.matches("input, select, textarea")) return;
  clearFieldError(field);
  // A refusal the panel showed for what the user is now changing.
  const panel = field.closest("#claim-panel");
  panel?.querySelectorAll(".panel__inner > .alert--error").forEach((p) => p.remove());
  if (field.closest("#mark-form")) {
    const error = document.getElementById("mark-error");
    if (error) error.textContent = "";
  }
}

function onSelectionChange() {
  // The mark bar's refusal ("select some text") is answered by a new selection.
  const error = document.getElementById("mark-error");
  const selection = document.getSelection();
  const text = document.querySelector("[data-article-text]");
  if (!error || !error.textContent || !selection || selection.isCollapsed || !text) return;
  if (text.contains(selection.anchorNode)) error.textContent = "";
}

// --- Claimant ---------------------------------------------------------------------------------

function onClick(event) {
  const fill = event.target.closest("[data-fill-target]");
  if (fill) {
    const input = document.getElementById(fill.dataset.fillTarget);
    if (input) {
      input.value = fill.dataset.fillValue || "";
      input.dispatchEvent(new Event("input", { bubbles: true }));
      input.focus();
    }
    return;
  }
  const fromSelection = event.target.closest("[data-span-from-selection]");
  if (fromSelection) spanFromSelection(event, fromSelection);
}

// --- Span -------------------------------------------------------------------------------------

function spanFromSelection(event, button) {
  const form = button.closest("[data-span-form]");
  const offsets = window.factcheckReader?.selectionOffsets?.();
  if (!form) return;
  if (!offsets) {
    event.preventDefault();
    const help = form.querySelector(".help");
    if (help) {
      help.setAttribute("role", "status");
      help.textContent = "Select the claim's new words in the article text first, then use them.";
    }
    return;
  }
  form.querySelector("[data-span-utf16-start]").value = String(offsets.start);
  form.querySelector("[data-span-utf16-end]").value = String(offsets.end);
}

// With a span button focused: Shift+Left/Right move the start, Left/Right the end.
const SPAN_KEYS = {
  "shift:ArrowLeft": "span-start-grow",
  "shift:ArrowRight": "span-start-shrink",
  ":ArrowLeft": "span-end-shrink",
  ":ArrowRight": "span-end-grow",
};

function onKeydown(event) {
  const form = event.target.closest?.("[data-span-form]");
  if (!form || event.target.tagName !== "BUTTON" || event.altKey || event.ctrlKey || event.metaKey) return;
  const id = SPAN_KEYS[`${event.shiftKey ? "shift" : ""}:${event.key}`];
  const button = id && document.getElementById(id);
  if (!button) return;
  event.preventDefault();
  // Focus goes to the button of the move, and stays on it after the reader is redrawn
  // (htmx gives focus back to the element with the same id).
  button.focus();
  button.click();
}

document.addEventListener("input", onFieldEdited);
document.addEventListener("change", onFieldEdited);
document.addEventListener("selectionchange", onSelectionChange);
document.addEventListener("click", onClick);
document.addEventListener("keydown", onKeydown);

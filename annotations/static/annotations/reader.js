// The article reader: text selection -> claim offsets, and highlight clicks -> claim panel.
//
// Offsets. The server renders the article text so that the DOM text inside
// [data-article-text] is exactly the article text (marks add elements, never characters).
// A boundary point's offset is then the length of a Range from the start of that element to
// the point: Range.toString() joins the text nodes' data, and JavaScript string lengths count
// UTF-16 code units, which is what the service's `utf16_start`/`utf16_end` expect (it maps
// them to code points with annotations.anchoring.OffsetMap). CSS-generated content (the stale
// marker) is not part of any text node, so it never shifts an offset. A selection that spills
// outside the text is clamped to it, surrounding whitespace is trimmed, and a boundary that
// would split a surrogate pair (half an emoji) is widened to the whole character. The quote
// (`exact`) is sent too, so the server refuses offsets that do not match its text.

const ZERO_ID = "00000000-0000-0000-0000-000000000000";
const WHITESPACE = /\s/;

const textRoot = () => document.querySelector("[data-article-text]");
const readerBody = () => document.getElementById("reader-body");

/** UTF-16 offset of the boundary point (node, offset) from the start of `root`. */
export function boundaryOffset(root, node, offset) {
  const range = document.createRange();
  range.setStart(root, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

const isLowSurrogate = (code) => code >= 0xdc00 && code <= 0xdfff;

/** {start, end, exact} in UTF-16 units for the part of `range` inside `root`, or null. */
export function rangeOffsets(root, range) {
  if (!range || range.collapsed || !range.intersectsNode(root)) return null;
  const text = root.textContent;
  let start = root.contains(range.startContainer)
    ? boundaryOffset(root, range.startContainer, range.startOffset)
    : 0;
  let end = root.contains(range.endContainer)
    ? boundaryOffset(root, range.endContainer, range.endOffset)
    : text.length;
  while (start < end && WHITESPACE.test(text[start])) start += 1;
  while (end > start && WHITESPACE.test(text[end - 1])) end -= 1;
  if (start > 0 && isLowSurrogate(text.charCodeAt(start))) start -= 1;
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end += 1;
  if (end <= start) return null;
  return { start, end, exact: text.slice(start, end) };
}

export function selectionOffsets(root = textRoot(), selection = document.getSelection()) {
  if (!root || !selection || selection.rangeCount === 0) return null;
  return rangeOffsets(root, selection.getRangeAt(0));
}

// --- The "Mark claim" bar ---------------------------------------------------------------------

let pending = null;

function excerpt(text, limit = 80) {
  const flat = text.replace(/\s+/g, " ");
  const chars = Array.from(flat);
  return chars.length > limit ? `${chars.slice(0, limit - 1).join("")}…` : flat;
}

function showPending() {
  const button = document.getElementById("mark-button");
  const label = document.getElementById("mark-selection");
  if (!button || !label) return;
  const fields = { "mark-start": "start", "mark-end": "end", "mark-exact": "exact" };
  for (const [id, key] of Object.entries(fields)) {
    const input = document.getElementById(id);
    if (input) input.value = pending ? String(pending[key]) : "";
  }
  button.disabled = !pending;
  if (pending) {
    const n = Array.from(pending.exact).length;
    label.textContent = `Selected: “${excerpt(pending.exact)}” (${n} character${n === 1 ? "" : "s"}). Press Enter or “Mark claim”.`;
  } else {
    label.textContent = label.dataset.idle || label.textContent;
  }
}

function onSelectionChange() {
  const root = textRoot();
  if (!root) return;
  const selection = document.getSelection();
  const offsets = selectionOffsets(root, selection);
  if (offsets) {
    pending = offsets;
  } else if (selection && selection.rangeCount && root.contains(selection.anchorNode)) {
    // A click or caret move inside the text drops the pending selection; focus moving to the
    // button (which may collapse the selection elsewhere) keeps it.
    pending = null;
  } else {
    return;
  }
  showPending();
}

// --- Keyboard selection -----------------------------------------------------------------------
// Inside the focused text, Shift+arrows extend a selection (Ctrl/Alt+Shift by word) and
// Left/Right move a caret, in every browser and without caret browsing; Enter marks.

function placeCaret(root) {
  const selection = document.getSelection();
  if (selection.rangeCount && root.contains(selection.anchorNode)) return;
  const rect = root.getBoundingClientRect();
  const x = Math.max(rect.left + 2, 0);
  const y = Math.min(Math.max(rect.top + 4, 4), window.innerHeight - 4);
  let range = null;
  if (document.caretPositionFromPoint) {
    const pos = document.caretPositionFromPoint(x, y);
    if (pos && root.contains(pos.offsetNode)) {
      range = document.createRange();
      range.setStart(pos.offsetNode, pos.offset);
    }
  } else if (document.caretRangeFromPoint) {
    const r = document.caretRangeFromPoint(x, y);
    if (r && root.contains(r.startContainer)) range = r;
  }
  if (!range) {
    range = document.createRange();
    range.setStart(root, 0);
  }
  range.collapse(true);
  selection.removeAllRanges();
  selection.addRange(range);
}

const KEY_MOVES = {
  ArrowLeft: ["backward", "character"],
  ArrowRight: ["forward", "character"],
  ArrowUp: ["backward", "line"],
  ArrowDown: ["forward", "line"],
  Home: ["backward", "lineboundary"],
  End: ["forward", "lineboundary"],
};

function onTextKeydown(event) {
  const root = textRoot();
  if (!root || event.target !== root) return;
  if (event.key === "Enter" && pending) {
    event.preventDefault();
    // selectionchange arrives as a later task: a quick Shift+Right then Enter would
    // otherwise mark the selection as it was one key earlier.
    onSelectionChange();
    if (pending) document.getElementById("mark-form")?.requestSubmit();
    return;
  }
  const move = KEY_MOVES[event.key];
  if (!move) return;
  const vertical = event.key === "ArrowUp" || event.key === "ArrowDown";
  if (!event.shiftKey && (vertical || event.key === "Home" || event.key === "End")) return;
  const selection = document.getSelection();
  if (!selection.modify) return;
  placeCaret(root);
  const [direction, unit] = move;
  const byWord = (event.ctrlKey || event.altKey) && !vertical;
  selection.modify(event.shiftKey ? "extend" : "move", direction, byWord ? "word" : unit);
  event.preventDefault();
}

// --- Claim panel ------------------------------------------------------------------------------

function setActive(claimId) {
  document.querySelectorAll("mark.hl.is-active").forEach((m) => m.classList.remove("is-active"));
  document.querySelectorAll("[data-claim-item][aria-current]").forEach((li) => {
    li.removeAttribute("aria-current");
  });
  if (!claimId) return;
  document.querySelectorAll(`mark.hl[data-claim="${CSS.escape(claimId)}"]`).forEach((m) => {
    m.classList.add("is-active");
  });
  document
    .querySelector(`[data-claim-item="${CSS.escape(claimId)}"]`)
    ?.setAttribute("aria-current", "true");
}

function panelUrl(claimId) {
  return readerBody().dataset.panelUrl.replace(ZERO_ID, claimId);
}

function openClaim(claimId) {
  const body = readerBody();
  if (!body || !window.htmx) return;
  const url = `${body.dataset.articleUrl}?claim=${encodeURIComponent(claimId)}`;
  window.htmx
    .ajax("GET", panelUrl(claimId), { target: "#claim-panel", swap: "innerHTML" })
    .then(() => {
      window.history.pushState({ htmx: true }, "", url);
      const panel = document.getElementById("claim-panel");
      // One column (a phone, a narrow window): the panel sits below the text, maybe just its
      // top edge showing at the bottom of the screen. Bring it up, and the focus with it, so
      // the next swipe or Tab reads the claim opened.
      const rect = panel.getBoundingClientRect();
      if (rect.top > window.innerHeight / 2 || rect.bottom < 0) {
        panel.scrollIntoView({ block: "start" });
        const heading = panel.querySelector(".panel__title");
        if (heading) {
          heading.setAttribute("tabindex", "-1");
          heading.focus({ preventScroll: true });
        }
      }
    });
}

function onTextClick(event) {
  const root = textRoot();
  if (!root || !root.contains(event.target)) return;
  if (!document.getSelection().isCollapsed) return; // the user is selecting, not clicking
  const mark = event.target.closest("mark.hl[data-claim]");
  if (mark) openClaim(mark.dataset.claim);
}

function onClaimUpdated(event) {
  const { id, kind, label } = event.detail || {};
  if (!id) return;
  document.querySelectorAll(`mark.hl[data-claim="${CSS.escape(id)}"]`).forEach((m) => {
    m.dataset.kind = kind;
    m.title = label;
  });
  const item = document.querySelector(`[data-claim-item="${CSS.escape(id)}"]`);
  if (item) {
    const sample = item.querySelector(".hl-sample");
    if (sample) {
      sample.dataset.kind = kind;
      sample.textContent = { "v-true": "✓", "v-mixed": "~", "v-false": "✗" }[kind] || "";
    }
    const text = item.querySelector("[data-claim-label]");
    if (text) text.textContent = label;
  }
}

function onAfterSwap() {
  const body = readerBody();
  if (body && !body.dataset.initialised) {
    // A new reader body (a claim was just marked): forget the old selection.
    body.dataset.initialised = "1";
    pending = null;
    document.getSelection().removeAllRanges();
    initLabels();
    showPending();
  }
  const open = document.querySelector("#claim-panel [data-open-claim]");
  setActive(open ? open.dataset.openClaim : null);
}

function initLabels() {
  const label = document.getElementById("mark-selection");
  if (label && !label.dataset.idle) label.dataset.idle = label.textContent;
}

function init() {
  initLabels();
  if (readerBody()) readerBody().dataset.initialised = "1";
  document.addEventListener("selectionchange", onSelectionChange);
  document.addEventListener("click", onTextClick);
  document.addEventListener("keydown", onTextKeydown);
  document.body.addEventListener("claim-updated", onClaimUpdated);
  document.body.addEventListener("htmx:afterSwap", onAfterSwap);
  const open = document.querySelector("#claim-panel [data-open-claim]");
  if (open) {
    setActive(open.dataset.openClaim);
    document.getElementById(`hl-${open.dataset.openClaim}`)?.scrollIntoView({ block: "center" });
  }
  window.factcheckReader = { selectionOffsets, rangeOffsets, boundaryOffset, openClaim };
  document.documentElement.dataset.readerReady = "1";
}

init();

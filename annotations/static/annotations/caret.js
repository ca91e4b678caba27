// The reader's caret: where the keyboard is in the article text, drawn, and moved by sentence
// and paragraph.
//
// The text is not editable, so browsers draw no caret in it (unless caret browsing is on): the
// selection's focus point is shown by an element of our own (.reading-caret) while the text has
// the keyboard focus. Ctrl+Down/Up jump to the next/previous paragraph, Alt+Down/Up to the
// next/previous sentence; with Shift they extend the selection instead, so a whole sentence is
// one Shift+Alt+Down and Enter marks it (reader.js). A paragraph starts after a line break; a
// sentence starts after a full stop, question or exclamation mark (and any closing quote or
// bracket) followed by a space. Offsets are UTF-16 units of the text, as in reader.js.

const textRoot = () => document.querySelector("[data-article-text]");
const SENTENCE_END = /[.!?…]+["'”’»)\]]*[ \t]+(?=\S)/g;

/** Offsets where paragraphs start: the text's start and each line that follows a break. */
export function paragraphStarts(text) {
  const starts = [0];
  const breaks = /\n+(?=\S)/g;
  for (let m = breaks.exec(text); m; m = breaks.exec(text)) starts.push(m.index + m[0].length);
  return starts;
}

/** Offsets where sentences start: paragraph starts, and after sentence-ending punctuation. */
export function sentenceStarts(text) {
  const starts = new Set(paragraphStarts(text));
  SENTENCE_END.lastIndex = 0;
  for (let m = SENTENCE_END.exec(text); m; m = SENTENCE_END.exec(text)) {
    starts.add(m.index + m[0].length);
  }
  return Array.from(starts).sort((a, b) => a - b);
}

/** The next (dir 1) or previous (dir -1) stop from `offset`; the text's ends past the last. */
export function nextStop(stops, offset, dir, length) {
  if (dir > 0) return stops.find((s) => s > offset) ?? length;
  for (let i = stops.length - 1; i >= 0; i -= 1) if (stops[i] < offset) return stops[i];
  return 0;
}

/** The DOM point (text node, offset) at UTF-16 `offset` of the text. */
export function pointAt(root, offset) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let seen = 0;
  let last = null;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (offset <= seen + node.data.length) return { node, offset: offset - seen };
    seen += node.data.length;
    last = node;
  }
  return last ? { node: last, offset: last.data.length } : { node: root, offset: 0 };
}

function offsetOf(root, node, offset) {
  const range = document.createRange();
  range.setStart(root, 0);
  range.setEnd(node, offset);
  return range.toString().length;
}

/** A Range over the character at UTF-16 `index` of the text, or null past its end. */
function charRange(root, index) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let seen = 0;
  while (walker.nextNode()) {
    const node = walker.currentNode;
    if (index < seen + node.data.length) {
      const range = document.createRange();
      range.setStart(node, index - seen);
      range.setEnd(node, index - seen + 1);
      return range;
    }
    seen += node.data.length;
  }
  return null;
}

const firstBox = (range) => range && Array.from(range.getClientRects()).find((r) => r.height > 0);

/** Where to draw the caret for the point at `offset`: the box of the character there. */
function caretBox(root, offset) {
  const text = root.textContent;
  // The character after the caret, unless it is a line break (whose box sits at the end of
  // the line before): then the right edge of the character before.
  if (offset < text.length && text[offset] !== "\n") {
    const box = firstBox(charRange(root, offset));
    if (box) return { left: box.left, top: box.top, height: box.height };
  }
  const before = offset > 0 ? firstBox(charRange(root, offset - 1)) : null;
  if (before && text[offset - 1] !== "\n") {
    return { left: before.right, top: before.top, height: before.height };
  }
  const rect = root.getBoundingClientRect();
  return { left: rect.left + 4, top: rect.top + 4, height: 24 };
}

let caret = null;

function caretElement() {
  if (!caret) {
    caret = document.createElement("span");
    caret.className = "reading-caret";
    caret.setAttribute("aria-hidden", "true");
    caret.hidden = true;
    document.body.appendChild(caret);
  }
  return caret;
}

/** The UTF-16 offset of the selection's focus in the text, or null when it is elsewhere. */
export function caretOffset(root = textRoot()) {
  const selection = document.getSelection();
  if (!root || !selection || !selection.rangeCount || !root.contains(selection.focusNode)) {
    return null;
  }
  return offsetOf(root, selection.focusNode, selection.focusOffset);
}

function draw() {
  const root = textRoot();
  const element = caretElement();
  const offset = root && document.activeElement === root ? caretOffset(root) : null;
  if (offset === null) {
    element.hidden = true;
    return;
  }
  const box = caretBox(root, offset);
  element.style.left = `${Math.round(box.left + window.scrollX - 1)}px`;
  element.style.top = `${Math.round(box.top + window.scrollY)}px`;
  element.style.height = `${Math.round(box.height)}px`;
  element.hidden = false;
  // Restart the blink: a caret that just moved is shown, not half-way through fading out.
  element.classList.remove("is-blinking");
  void element.offsetWidth;
  element.classList.add("is-blinking");
}

function moveTo(root, offset, extend) {
  const selection = document.getSelection();
  const point = pointAt(root, offset);
  if (extend && selection.rangeCount && root.contains(selection.anchorNode)) {
    selection.extend(point.node, point.offset);
  } else {
    selection.collapse(point.node, point.offset);
  }
  draw();
  caretElement().scrollIntoView({ block: "nearest" });
}

/** A collapsed selection at the first line of the text that shows, unless one is there. */
function placeAtView(root) {
  if (caretOffset(root) !== null) return;
  const rect = root.getBoundingClientRect();
  const bar = document.getElementById("mark-form")?.getBoundingClientRect();
  const top = Math.max(rect.top, bar && bar.bottom > 0 ? bar.bottom : 0) + 8;
  let offset = 0;
  const hit = document.caretRangeFromPoint?.(rect.left + 24, Math.min(top, window.innerHeight - 4));
  if (hit && root.contains(hit.startContainer) && rect.top < 0) {
    offset = offsetOf(root, hit.startContainer, hit.startOffset);
    offset = nextStop(paragraphStarts(root.textContent), offset - 1, 1, root.textContent.length);
  }
  const point = pointAt(root, Math.min(offset, root.textContent.length));
  document.getSelection().collapse(point.node, point.offset);
}

let pointerDown = false;

function onFocusIn(event) {
  const root = textRoot();
  if (event.target !== root) return;
  if (!pointerDown) placeAtView(root); // a click puts the caret where it lands
  pointerDown = false;
  draw();
}

function onKeydown(event) {
  const root = textRoot();
  if (!root || event.target !== root) return;
  if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
  if (event.metaKey || event.ctrlKey === event.altKey) return; // exactly one of Ctrl and Alt
  const text = root.textContent;
  const offset = caretOffset(root) ?? 0;
  const stops = event.ctrlKey ? paragraphStarts(text) : sentenceStarts(text);
  moveTo(root, nextStop(stops, offset, event.key === "ArrowDown" ? 1 : -1, text.length), event.shiftKey);
  // reader.js would move by line: this key is handled.
  event.preventDefault();
  event.stopPropagation();
}

// Marking a claim renders the reader again (the selection goes with the old text): the caret
// comes back where the selection ended, so the keyboard reads on from there.
let kept = null;

function onBeforeSwap() {
  const root = textRoot();
  kept = root && document.activeElement === root ? caretOffset(root) : null;
}

function onAfterSettle() {
  const root = textRoot();
  if (kept !== null && root && document.activeElement === root && caretOffset(root) === null) {
    const point = pointAt(root, Math.min(kept, root.textContent.length));
    document.getSelection().collapse(point.node, point.offset);
  }
  kept = null;
  draw();
}

function init() {
  document.addEventListener("selectionchange", draw);
  document.addEventListener("pointerdown", () => {
    pointerDown = true;
  });
  document.addEventListener("keydown", () => {
    pointerDown = false;
  });
  document.addEventListener("focusin", onFocusIn);
  document.addEventListener("focusout", () => window.requestAnimationFrame(draw));
  document.addEventListener("keydown", onKeydown, { capture: true });
  window.addEventListener("resize", draw);
  document.body.addEventListener("htmx:beforeSwap", onBeforeSwap);
  document.body.addEventListener("htmx:afterSettle", onAfterSettle);
  window.factcheckCaret = { caretOffset, paragraphStarts, sentenceStarts };
  document.documentElement.dataset.caretReady = "1";
}

init();

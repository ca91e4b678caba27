// The reader's single-key shortcuts and their help dialog.
//
//   j / k   next / previous claim (in the order of the text)
//   t       take the open claim
//   s       submit a verdict: to the verdict field of the submit form
//   r       return to the reviewer: opens the note
//   a       approve: to the "Approve and publish" button, which Enter confirms (one stray
//           key never publishes)
//   e       add evidence: opens the form at its URL field
//   ?       this list
//
// A shortcut never fires while someone types (a text field, a list, an editable element), with
// Ctrl, Alt or Meta held, or while a dialog is open. An action the open claim does not offer
// is said, not silently skipped.

const say = (message) => window.factcheckDesk?.announce(message);
const openPanel = () => document.querySelector("#claim-panel [data-open-claim]");
const flat = (text) => (text || "").replace(/\s+/g, " ").trim();

function typing(element) {
  if (!element || element === document.body) return false;
  return element.isContentEditable || element.matches("input, textarea, select");
}

// --- Claims: j / k ------------------------------------------------------------------------

let position = "";

function step(dir) {
  const items = Array.from(document.querySelectorAll("[data-claim-item]"));
  if (!items.length) {
    say("No claims in this text yet.");
    return;
  }
  const ids = items.map((li) => li.dataset.claimItem);
  const current = ids.indexOf(openPanel()?.dataset.openClaim);
  const next = current < 0 ? (dir > 0 ? 0 : ids.length - 1) : current + dir;
  if (next < 0 || next >= ids.length) {
    say(dir > 0 ? "That was the last claim." : "That was the first claim.");
    return;
  }
  position = `Claim ${next + 1} of ${ids.length}`;
  document.getElementById(`hl-${ids[next]}`)?.scrollIntoView({ block: "center" });
  window.factcheckReader?.openClaim(ids[next]);
}

function onAfterSettle(event) {
  if (!position || event.detail.target?.id !== "claim-panel") return;
  const quote = flat(document.querySelector("#claim-panel .panel__quote p")?.textContent);
  say(`${position}: ${quote}`);
  position = "";
}

// --- Review actions and evidence ----------------------------------------------------------

const FIRST_FIELD = "select, textarea, input:not([type=hidden])";

function reveal(element) {
  const details = element.closest("details");
  if (details) details.open = true;
}

function runAction(action, label, { click = false } = {}) {
  if (!openPanel()) {
    say("Open a claim first: j or k, or click a highlight.");
    return;
  }
  const form = document.querySelector(`#claim-panel form[data-inputs-for="${action}"]`);
  if (!form) {
    say(`${label} is not offered on this claim.`);
    return;
  }
  reveal(form);
  const button = form.querySelector(`button[data-action="${action}"]`);
  // What must be filled in first; optional fields (take's note) are not in the way.
  const field = form.querySelector(`:is(${FIRST_FIELD})[required]`);
  if (click && !field) {
    button.click();
    return;
  }
  (field || button).focus();
  if (!field) say(`${flat(button.textContent)}: press Enter to confirm.`);
}

function addEvidence() {
  if (!openPanel()) {
    say("Open a claim first: j or k, or click a highlight.");
    return;
  }
  const form = Array.from(document.querySelectorAll("#claim-panel form")).find((f) =>
    /\/claims\/[^/]+\/evidence\/$/.test(f.getAttribute("action") || ""),
  );
  if (!form) {
    say("Adding evidence is not open on this claim.");
    return;
  }
  reveal(form);
  form.querySelector(FIRST_FIELD)?.focus();
}

// --- The help dialog ----------------------------------------------------------------------

let returnFocus = null;

function openHelp() {
  const dialog = document.getElementById("shortcuts-dialog");
  if (!dialog || dialog.open) return;
  returnFocus = document.activeElement;
  dialog.showModal();
  dialog.querySelector("[data-shortcuts-close]")?.focus();
}

function onHelpClose() {
  if (returnFocus?.isConnected) returnFocus.focus();
  returnFocus = null;
}

const SHORTCUTS = {
  j: () => step(1),
  k: () => step(-1),
  t: () => runAction("take", "Take", { click: true }),
  s: () => runAction("submit", "Submit verdict"),
  r: () => runAction("return", "Return"),
  a: () => runAction("approve", "Approve"),
  e: addEvidence,
  "?": openHelp,
};

function onKeydown(event) {
  if (event.defaultPrevented || event.isComposing) return;
  if (event.ctrlKey || event.altKey || event.metaKey) return;
  if (typing(event.target) || document.querySelector("dialog[open]")) return;
  const run = Object.hasOwn(SHORTCUTS, event.key) ? SHORTCUTS[event.key] : null;
  if (!run) return;
  event.preventDefault();
  run();
}

function onClick(event) {
  if (event.target.closest("[data-shortcuts-open]")) {
    openHelp();
  } else if (event.target.closest("[data-shortcuts-close]")) {
    document.getElementById("shortcuts-dialog")?.close();
  }
}

function init() {
  document.addEventListener("keydown", onKeydown);
  document.addEventListener("click", onClick);
  document.getElementById("shortcuts-dialog")?.addEventListener("close", onHelpClose);
  document.body.addEventListener("htmx:afterSettle", onAfterSettle);
  document.documentElement.dataset.shortcutsReady = "1";
}

init();

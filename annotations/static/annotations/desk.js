// Every desk page: the phone's folding menu and mark bar, focus kept across htmx updates,
// and updates announced to screen readers.
//
// Focus. htmx replaces the part of the page a form or link updates; the control that was used
// is gone with it and the browser drops focus to <body>, so a keyboard user starts over from
// the top of the page. After each swap the focus goes back to the same control in the new
// content (same id, same action button, same field of the same form, or the summary of the
// same collapsed section), else to the updated part's heading.
//
// Announcements. One polite live region (#desk-announcer) exists from the page load on, so
// screen readers hear what an update says: its alert or confirmation, else what it opened.

const FIELD = "input, textarea, select, button, summary, a[href], [tabindex]";

// --- Live region --------------------------------------------------------------------------

let announceTimer = null;

/** Say `message` to screen readers (the same message twice is said twice). */
export function announce(message) {
  const region = document.getElementById("desk-announcer");
  if (!region || !message) return;
  region.textContent = "";
  window.clearTimeout(announceTimer);
  // A new text node a moment later: an unchanged text would not be read again.
  announceTimer = window.setTimeout(() => {
    region.textContent = message;
  }, 60);
}

const flat = (text) => (text || "").replace(/\s+/g, " ").trim();

function updateMessage(root) {
  for (const selector of [".alert--conflict", "[role=alert]", ".alert--error", "[role=status]"]) {
    const found = Array.from(root.querySelectorAll(selector)).find((el) => flat(el.textContent));
    if (found) return flat(found.textContent);
  }
  const open = root.matches("[data-open-claim]") ? root : root.querySelector("[data-open-claim]");
  const quote = open?.querySelector(".panel__quote p");
  if (quote) return `Claim opened: ${flat(quote.textContent)}`;
  return "";
}

// --- Focus across swaps -------------------------------------------------------------------

function describe(element) {
  const form = element.closest("form");
  const details = element.closest("details");
  return {
    id: element.id,
    tag: element.tagName,
    name: element.getAttribute("name"),
    action: element.dataset.action || "",
    submit: element.matches("button[type=submit], button:not([type]), input[type=submit]"),
    form: form && {
      action: form.getAttribute("action"),
      kind: form.querySelector("input[name=action]")?.value || "",
    },
    summary: details ? flat(details.querySelector(":scope > summary")?.textContent) : "",
  };
}

// Shown and able to take focus: not disabled, not inert, not inside a closed <details> (whose
// content still has boxes in Chromium, but takes no focus).
const usable = (el) =>
  el &&
  !el.disabled &&
  el.getClientRects().length > 0 &&
  !el.closest("[inert], [hidden]") &&
  !(el.tagName !== "SUMMARY" && el.closest("details:not([open])")) &&
  (!el.checkVisibility || el.checkVisibility());

function sameForm(root, wanted) {
  return Array.from(root.querySelectorAll("form")).find(
    (form) =>
      form.getAttribute("action") === wanted.action &&
      (form.querySelector("input[name=action]")?.value || "") === wanted.kind,
  );
}

/** Where the focus may go back to in `root`, best first. */
function candidates(root, was) {
  const found = [];
  if (was.id) {
    const same = document.getElementById(was.id);
    if (root.contains(same)) found.push(same);
  }
  if (was.action) found.push(root.querySelector(`[data-action="${CSS.escape(was.action)}"]`));
  const form = was.form && sameForm(root, was.form);
  if (form && was.submit) {
    found.push(form.querySelector("button[type=submit], button:not([type]), input[type=submit]"));
  } else if (form && was.name) {
    found.push(form.querySelector(`${was.tag}[name="${CSS.escape(was.name)}"]`));
  }
  if (was.summary) {
    found.push(
      Array.from(root.querySelectorAll("details > summary")).find(
        (s) => flat(s.textContent) === was.summary,
      ),
    );
  }
  return found.filter(usable);
}

function heading(root) {
  const found = root.querySelector(".panel__title") || root.querySelector("h1, h2, h3");
  if (found && !found.hasAttribute("tabindex")) found.setAttribute("tabindex", "-1");
  return found;
}

function refocus(root, was) {
  for (const element of [...candidates(root, was), heading(root)]) {
    element?.focus();
    if (element && document.activeElement === element) return;
  }
}

// What had the focus in each part about to be replaced (several swaps may be in flight: a
// panel and an evidence item's check, say).
const pendingFocus = new WeakMap();

function onBeforeSwap(event) {
  const target = event.detail.target;
  const active = document.activeElement;
  if (!target || !active || active === document.body) return;
  if (!target.contains(active) || !active.matches(FIELD)) return;
  pendingFocus.set(target, describe(active));
}

const polled = new Map(); // what a polling part last said, by its id

function onAfterSettle(event) {
  const target = event.detail.target;
  if (!target) return;
  // An outerHTML swap replaced the target: look in its successor.
  const root = target.isConnected ? target : document.getElementById(target.id);
  if (!root) return;
  const message = updateMessage(root);
  // A part that polls (hx-trigger "load delay", "every") says its news once, not per poll.
  const polls = /\b(load|every)\b/.test(event.detail.elt?.getAttribute?.("hx-trigger") || "");
  if (message && !(polls && polled.get(root.id) === message)) announce(message);
  if (polls) polled.set(root.id, message);
  const was = pendingFocus.get(target);
  pendingFocus.delete(target);
  if (!was) return;
  const active = document.activeElement;
  if (active && active !== document.body && active.isConnected && usable(active)) return;
  refocus(root, was);
}

// --- Phone disclosures -------------------------------------------------------------------
// On a phone the header's menu and the reader's mark bar fold away behind a button
// (button[data-disclosure] with aria-controls naming a [data-collapsible]); on wider screens
// the CSS shows them whole and hides the button.

function onDisclosureClick(event) {
  const button = event.target.closest("button[data-disclosure]");
  const part = button && document.getElementById(button.getAttribute("aria-controls"));
  if (!part) return;
  const open = button.getAttribute("aria-expanded") !== "true";
  button.setAttribute("aria-expanded", String(open));
  part.classList.toggle("is-expanded", open);
  if (part.tagName === "DETAILS") part.open = open; // one tap to the fields, not two
}

function initMenu() {
  const toggle = document.getElementById("menu-toggle");
  const unread = Number(document.querySelector(".site-nav [data-unread]")?.dataset.unread || 0);
  if (!toggle || !unread) return;
  toggle.querySelector("[data-menu-unread]").textContent = String(unread);
  toggle.setAttribute("aria-label", `Menu, ${unread} unread notification${unread === 1 ? "" : "s"}`);
}

function init() {
  document.documentElement.classList.add("js");
  initMenu();
  document.addEventListener("click", onDisclosureClick);
  document.body.addEventListener("htmx:beforeSwap", onBeforeSwap);
  document.body.addEventListener("htmx:afterSettle", onAfterSettle);
  window.factcheckDesk = { announce };
  document.documentElement.dataset.deskReady = "1";
}

init();

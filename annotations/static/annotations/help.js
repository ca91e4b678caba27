// The help page: the bookmarklet link is meant to be dragged to the bookmarks bar. Clicked
// here it would run a `javascript:` URL, which this site's Content-Security-Policy forbids;
// say what to do instead.
for (const link of document.querySelectorAll("a[data-bookmarklet]")) {
  link.addEventListener("click", (event) => {
    event.preventDefault();
    const hint = document.getElementById("bookmarklet-hint");
    if (hint) {
      hint.hidden = false;
      hint.textContent =
        "Drag this button to your bookmarks bar (or bookmark it), then click it on an article's page.";
    }
  });
}
document.documentElement.dataset.helpReady = "1";

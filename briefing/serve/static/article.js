// The article view: bring the cited quote (<mark id="quote">) to the middle of the window. Served from /static/
// so it passes the Content-Security-Policy (script-src 'self'); the page works without it.
(function () {
  function focusQuote() {
    var mark = document.getElementById("quote");
    if (!mark) return;
    mark.classList.add("active");
    mark.scrollIntoView({ block: "center" });
    document.documentElement.dataset.scrolledTo = "quote";
  }
  // Chromium applies the #fragment jump (quote at the top edge) until "load", so centre it on load.
  if (document.readyState === "complete") focusQuote();
  else window.addEventListener("load", focusQuote);
})();

// The answer page with an LLM: show the draft as the model writes it, then the verified answer the server renders
// (escaped there) with every [n] linked. Served from /static/ (script-src 'self'); without JavaScript the page
// offers a link to the finished answer instead.
(function () {
  var box = document.getElementById("answer");
  if (!box || !box.dataset.stream || !window.EventSource) return;
  var draft = box.querySelector(".draft");
  var status = box.querySelector(".status");
  var done = false;
  var source = new EventSource(box.dataset.stream);
  function finish(state) {
    done = true;
    source.close();
    document.documentElement.dataset.answer = state; // test hook
  }
  source.addEventListener("token", function (e) {
    draft.textContent += JSON.parse(e.data).text;
  });
  source.addEventListener("answer", function (e) {
    box.innerHTML = JSON.parse(e.data).html;
    finish("done");
  });
  source.addEventListener("failed", function (e) {
    status.textContent = JSON.parse(e.data).error;
    status.className = "error";
    finish("failed");
  });
  source.addEventListener("error", function () {
    if (done) return;
    status.textContent = "The connection to the server was lost; reload the page to ask again.";
    status.className = "error";
    finish("failed");
  });
})();

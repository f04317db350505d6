/* The moderator's desk: hide or restore a comment (comments API), redact, hide or restore an
   appeal (appeals API); the item shows its new state without reloading the page. */
(function () {
  "use strict";
  var X = JSON.parse(document.getElementById("moderation-text").textContent);
  function errorText(body) {
    return Object.keys(body || {}).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ") || X.failed;
  }
  function call(url, body) {
    return window.geoportal.api(url, {method: "POST", headers: {"Content-Type": "application/json"},
                                      body: JSON.stringify(body)});
  }
  function announce(text) {
    var a = document.getElementById("moderation-announce"); a.hidden = false; a.textContent = text;
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-comment]"), function (item) {
    var id = item.dataset.comment, error = item.querySelector(".error");
    var hide = item.querySelector(".comment-hide"), restore = item.querySelector(".comment-restore");
    function set(hidden) {
      var note = item.querySelector(".note").value;
      call("/api/v1/comments/" + id + "/moderate/", {hidden: hidden, note: note}).then(function (r) {
        if (r.status !== 200) { error.textContent = errorText(r.body); return; }
        error.textContent = "";
        item.dataset.hidden = r.body.hidden ? "1" : "0";
        hide.hidden = r.body.hidden;
        restore.hidden = !r.body.hidden;
        item.querySelector(".state").textContent = r.body.hidden ? X.hiddenState : X.shownState;
        announce(X.done);
      });
    }
    hide.addEventListener("click", function () { set(true); });
    restore.addEventListener("click", function () { set(false); });
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-appeal]"), function (item) {
    var id = item.dataset.appeal, error = item.querySelector(".error");
    function send(body, label) {
      body.reason = item.querySelector(".note").value || X.defaultReason;
      call("/api/v1/appeals/" + id + "/moderate/", body).then(function (r) {
        if (r.status !== 200) { error.textContent = errorText(r.body); return; }
        error.textContent = "";
        item.querySelector(".state").textContent = label;
        Array.prototype.forEach.call(item.querySelectorAll(".actions button"), function (b) { b.disabled = true; });
        announce(X.done);
      });
    }
    var redact = item.querySelector(".appeal-redact"), hide = item.querySelector(".appeal-hide"),
        restore = item.querySelector(".appeal-restore");
    if (redact) { redact.addEventListener("click", function () { send({text: redact.dataset.text}, X.redactedState); }); }
    if (hide) { hide.addEventListener("click", function () { send({is_public: false}, X.appealHiddenState); }); }
    if (restore) { restore.addEventListener("click", function () { send({is_public: true}, X.appealShownState); }); }
  });
})();

/* Comment threads (infocenter/_comments.html): post, reply, report abuse, delete one's own,
   hide/unhide for moderators, through /api/v1/comments/. Works for every [data-comments] block on the page
   (appeals and projects alike); after a write the page reloads at the thread, so what the
   server renders (names, redaction, moderation) is what the user sees. */
(function () {
  "use strict";
  var source = document.getElementById("comments-text");
  var X = source ? JSON.parse(source.textContent) : {};  // translated by the server
  var T = function (key) { return X[key] || key; };
  var csrf = (window.geoportal && window.geoportal.csrf) || "";

  function call(url, payload) {
    return fetch(url, {method: "POST", credentials: "same-origin", body: JSON.stringify(payload),
                       headers: {"Content-Type": "application/json", "Accept": "application/json",
                                 "X-CSRFToken": csrf}})
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) { return {status: r.status, body: body}; });
      })
      .catch(function () { return {status: 0, body: {detail: T("offline")}}; });
  }

  function errors(body) {
    return Object.keys(body || {}).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ");
  }

  function reloadAt(anchor) {
    var url = window.location.pathname + window.location.search + "#" + anchor;
    window.location.replace(url);
    window.location.reload();
  }

  function miniForm(item, label, options, submitLabel, onSubmit) {
    var old = item.querySelector(":scope > .mini-form");
    if (old) { old.remove(); return; }
    var form = document.createElement("form");
    form.className = "mini-form";
    var id = "mini-" + item.getAttribute("data-comment");
    var html = '<label for="' + id + '"></label>';
    html += options ? '<select id="' + id + '" name="value"></select>' : '<input id="' + id + '" name="value" maxlength="300">';
    html += '<p class="error" role="alert" data-error></p><p><button class="primary" type="submit"></button></p>';
    form.innerHTML = html;
    form.querySelector("label").textContent = label;
    form.querySelector("button").textContent = submitLabel;
    if (options) {
      var select = form.querySelector("select");
      options.forEach(function (text) { var o = document.createElement("option"); o.textContent = text; select.appendChild(o); });
    }
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      form.querySelector("button").disabled = true;
      onSubmit(form.elements.value.value, form);
    });
    item.querySelector(".comment-actions").after(form);
    form.elements.value.focus();
  }

  function setup(root) {
    var kind = root.getAttribute("data-kind");
    var target = parseInt(root.getAttribute("data-target"), 10);
    var status = root.querySelector("[data-status]");

    function submitComment(form, parent) {
      var text = form.elements.text.value.trim();
      var error = form.querySelector("[data-error]");
      var payload = {kind: kind, target_id: target, text: text};
      if (parent) { payload.parent = parent; }
      if (form.elements.is_question) { payload.is_question = form.elements.is_question.checked; }
      form.querySelector("button[type=submit]").disabled = true;
      call("/api/v1/comments/", payload).then(function (r) {
        if (r.status === 201) { reloadAt("comment-" + r.body.id); return; }
        error.textContent = errors(r.body) || T("postFailed");
        form.querySelector("button[type=submit]").disabled = false;
      });
    }

    root.addEventListener("submit", function (e) {
      var form = e.target;
      if (!form.classList.contains("comment-form")) { return; }
      e.preventDefault();
      submitComment(form, form.getAttribute("data-parent") ? parseInt(form.getAttribute("data-parent"), 10) : null);
    });

    var follow = root.querySelector("[data-follow]");
    if (follow) {
      follow.addEventListener("click", function () {
        var id = follow.getAttribute("data-subscription");
        follow.disabled = true;
        var done = function (subscriptionId) {
          follow.disabled = false;
          if (subscriptionId) { follow.setAttribute("data-subscription", subscriptionId); } else { follow.removeAttribute("data-subscription"); }
          follow.setAttribute("aria-pressed", subscriptionId ? "true" : "false");
          follow.textContent = subscriptionId ? T("following") : T("follow");
          status.textContent = subscriptionId ? T("followed") : T("unfollowed");
        };
        if (id) {
          fetch("/api/v1/subscriptions/" + id + "/", {method: "DELETE", credentials: "same-origin",
                                                      headers: {"X-CSRFToken": csrf}})
            .then(function (r) { done(r.status === 204 ? null : id); }, function () { done(id); });
        } else {
          call("/api/v1/subscriptions/", {kind: kind, target_id: target}).then(function (r) {
            done(r.status === 201 ? String(r.body.id) : null);
          });
        }
      });
    }

    root.addEventListener("click", function (e) {
      var button = e.target.closest("[data-action]");
      if (!button) { return; }
      var item = button.closest("[data-comment]");
      var id = item.getAttribute("data-comment");
      var action = button.getAttribute("data-action");
      if (action === "reply") {
        var form = root.querySelector('.reply-form[data-parent="' + id + '"]');
        form.hidden = !form.hidden;
        if (!form.hidden) { form.querySelector("textarea").focus(); }
      } else if (action === "report") {
        miniForm(item, T("reportWhat"),
                 X.reasons || ["—"],
                 T("reportSend"), function (reason, f) {
          call("/api/v1/comments/" + id + "/report/", {reason: reason}).then(function (r) {
            if (r.status === 200) {
              f.remove();
              button.disabled = true;
              button.textContent = T("reportSent");
              status.textContent = T("reportSentLong");
            } else {
              f.querySelector("[data-error]").textContent = errors(r.body) || T("reportFailed");
              f.querySelector("button").disabled = false;
            }
          });
        });
      } else if (action === "delete") {
        if (!window.confirm(T("deleteConfirm"))) { return; }
        button.disabled = true;
        fetch("/api/v1/comments/" + id + "/", {method: "DELETE", credentials: "same-origin",
                                              headers: {"X-CSRFToken": csrf, "Accept": "application/json"}})
          .then(function (r) {
            if (r.status === 204) { reloadAt("comments"); return; }
            button.disabled = false;
            status.textContent = T("failed");
          }, function () { button.disabled = false; status.textContent = T("offline"); });
      } else if (action === "hide" || action === "unhide") {
        var hide = action === "hide";
        miniForm(item, hide ? T("hideWhy") : T("unhideNote"), null,
                 hide ? T("hide") : T("unhide"), function (note, f) {
          call("/api/v1/comments/" + id + "/moderate/", {hidden: hide, note: note}).then(function (r) {
            if (r.status === 200) { reloadAt("comment-" + id); return; }
            f.querySelector("[data-error]").textContent = errors(r.body) || T("failed");
            f.querySelector("button").disabled = false;
          });
        });
      }
    });
  }

  function init() { document.querySelectorAll("[data-comments]").forEach(setup); }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();

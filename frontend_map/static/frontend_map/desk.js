/* The operator's desk: appeals waiting for registration or routing (oldest deadline first) on
   a map and in a list; the router's top 3 with probabilities and its explanation; one tap (or
   the keys 1/2/3 on a desk) routes the selected appeal; route elsewhere with an agency search,
   reject with a 59-FZ reason, merge into a nearby open appeal shown on the map. Every act is a
   call to the appeals API (issues.actions); the list reloads after each and every minute. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var cfg = JSON.parse($("desk-config").textContent);
  var X = cfg.texts;
  var locale = document.documentElement.lang === "en" ? "en-GB" : "ru-RU";
  var esc = window.geoportal.escape;
  var map = window.geoportal.createMap("desk-map");
  window.geoportal.addDistricts(map);
  var layer = L.featureGroup().addTo(map), candidates = L.featureGroup().addTo(map);
  var items = [], currentId = null, fitted = false, busy = false;

  function when(iso) {
    return iso ? new Date(iso).toLocaleString(locale, {day: "2-digit", month: "2-digit", hour: "2-digit", minute: "2-digit"}) : "—";
  }
  function percent(p) { return p === null || p === undefined ? "" : " · " + X.probability + " " + Math.round(p * 100) + "%"; }
  function errorText(body) {
    return Object.keys(body || {}).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ") || X.failed;
  }
  function post(id, action, body) {
    return window.geoportal.api("/api/v1/appeals/" + id + "/" + action + "/", {
      method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})});
  }
  function announce(text) { var a = $("desk-announce"); a.hidden = false; a.textContent = text; }
  function current() { return items.filter(function (i) { return i.id === currentId; })[0] || null; }

  function select(id, scroll) {
    currentId = id;
    Array.prototype.forEach.call($("desk-list").children, function (li) {
      var on = String(li.dataset.id) === String(id);
      li.classList.toggle("is-current", on);
      if (on) { li.setAttribute("aria-current", "true"); } else { li.removeAttribute("aria-current"); }
      if (on && scroll) { li.scrollIntoView({block: "nearest"}); }
    });
  }
  function act(item, action, body, done) {
    if (busy) { return Promise.resolve(null); }
    busy = true;
    return post(item.id, action, body).then(function (r) {
      busy = false;
      if (r.status === 200) {
        var p = r.body.properties || {};
        announce(item.number + ": " + done(p));
        return load().then(function () { return r; });
      }
      var li = $("desk-list").querySelector('[data-id="' + item.id + '"] .error');
      if (li) { li.textContent = errorText(r.body); }
      return r;
    });
  }
  function route(item, agency, reason) {
    return act(item, "route", {agency: agency.id || agency.agency_id, reason: reason || ""}, function () {
      return X.routed + " " + (agency.short_name || agency.agency);
    });
  }

  function card(item) {
    var li = document.createElement("li");
    li.className = "queue-item desk-item" + (item.overdue ? " q-overdue" : "");
    li.dataset.id = item.id;
    li.tabIndex = -1;
    var due = (item.due_kind === "registration" ? X.dueRegistration : X.dueRouting) + " " + when(item.due_at);
    var html = '<div class="row"><strong><a href="/appeals/' + item.id + '/">' + esc(item.number) + "</a></strong>" +
      '<span class="badge' + (item.overdue ? " sla-overdue" : "") + '">' + esc(due) +
      (item.overdue ? " · " + esc(X.overdue) : "") + "</span></div>" +
      "<div>" + esc(item.category) + " · " + esc(item.status_display) + "</div>" +
      '<div class="muted small">' + esc(X.channel) + ": " + esc(item.channel) + " · " + esc(X.received) + " " +
      esc(when(item.received_at)) + (item.address ? " · " + esc(item.address) : "") +
      (item.district ? " · " + esc(item.district) : "") + "</div>" +
      '<p class="desk-text">' + esc(item.text.length > 280 ? item.text.slice(0, 280) + "…" : item.text) + "</p>";
    if (item.status === "registered") {
      if (item.suggestions.length) {
        html += '<div class="suggestions">' + item.suggestions.map(function (s, n) {
          return '<button type="button" class="button suggestion" data-n="' + n + '"><kbd>' + (n + 1) + "</kbd> " +
            esc(X.routeTo) + " " + esc(s.agency) + esc(percent(s.probability)) + "</button>";
        }).join("") + "</div>";
      } else {
        html += '<p class="muted small">' + esc(X.noSuggestions) + "</p>";
      }
      if (item.explanation) { html += '<p class="small explanation"><strong>' + esc(X.why) + ":</strong> " + esc(item.explanation) + "</p>"; }
    }
    html += '<div class="actions">' +
      (item.status === "submitted" ? '<button type="button" class="button register">' + esc(X.register) + "</button>" : "") +
      (item.status === "registered" ? '<button type="button" class="button secondary elsewhere">' + esc(X.elsewhere) + "</button>" : "") +
      '<button type="button" class="button secondary duplicate">' + esc(X.duplicate) + "</button>" +
      '<button type="button" class="button secondary reject">' + esc(X.reject) + "</button></div>" +
      '<div class="candidates" hidden></div><p class="error" role="alert"></p>';
    li.innerHTML = html;
    li.addEventListener("click", function () { select(item.id); });
    li.addEventListener("focusin", function () { select(item.id); });
    Array.prototype.forEach.call(li.querySelectorAll(".suggestion"), function (b) {
      b.addEventListener("click", function () { route(item, item.suggestions[parseInt(b.dataset.n, 10)]); });
    });
    var register = li.querySelector(".register");
    if (register) {
      register.addEventListener("click", function () {
        act(item, "register", {}, function (p) { return X.registered + ", " + X.due + ": " + when(p.deadline_at); });
      });
    }
    var elsewhere = li.querySelector(".elsewhere");
    if (elsewhere) { elsewhere.addEventListener("click", function () { openElsewhere(item); }); }
    li.querySelector(".reject").addEventListener("click", function () { openReject(item); });
    li.querySelector(".duplicate").addEventListener("click", function () { showCandidates(item, li); });
    return li;
  }

  function render() {
    var list = $("desk-list");
    list.innerHTML = "";
    layer.clearLayers();
    candidates.clearLayers();
    items.forEach(function (item) {
      list.appendChild(card(item));
      if (!item.point) { return; }
      L.circleMarker(item.point, {radius: 8, weight: 2, color: "#fff", fillOpacity: 0.95,
                                  fillColor: item.overdue ? "#b3261e" : "#0b5cad"})
        .bindTooltip(item.number).on("click", function () { select(item.id, true); }).addTo(layer);
    });
    if (!items.length) { list.innerHTML = '<li class="muted">' + esc(X.empty) + "</li>"; }
    if (!items.some(function (i) { return i.id === currentId; })) { currentId = items.length ? items[0].id : null; }
    select(currentId);
    if (!fitted && layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.2), {maxZoom: 15}); fitted = true; }
    $("desk-updated").textContent = X.updated + " " + new Date().toLocaleTimeString(locale);
  }
  function counters(values) {
    Object.keys(values || {}).forEach(function (key) {
      var el = document.querySelector('[data-counter="' + key + '"]');
      if (el) {
        el.textContent = values[key];
        if (el.parentNode.classList.contains("alarm")) { el.parentNode.classList.toggle("bad", values[key] > 0); }
      }
    });
  }
  function load() {
    return window.geoportal.api("/desk/items/").then(function (r) {
      if (r.status !== 200) { return; }
      items = r.body.items;
      counters(r.body.counters);
      render();
    });
  }

  // --- duplicates: nearby open appeals in the list and on the map ---------------------------------
  function showCandidates(item, li) {
    var box = li.querySelector(".candidates");
    candidates.clearLayers();
    if (!item.point) { box.hidden = false; box.innerHTML = '<p class="muted small">' + esc(X.noPoint) + "</p>"; return; }
    window.geoportal.api("/desk/" + item.id + "/duplicates/").then(function (r) {
      if (r.status !== 200) { return; }
      var found = r.body.candidates;
      box.hidden = false;
      if (!found.length) { box.innerHTML = '<p class="muted small">' + esc(X.noCandidates) + "</p>"; return; }
      box.innerHTML = "<h3>" + esc(X.candidates) + "</h3><ul>" + found.map(function (c, n) {
        return '<li data-candidate="' + c.id + '"><strong>' + esc(c.number) + "</strong> · " + esc(c.category) +
          (c.same_category ? ' <span class="badge">' + esc(X.sameCategory) + "</span>" : "") + " · " + c.distance_m + " " +
          esc(X.metres) + '<br><span class="small">' + esc(c.text) + '</span><br><button type="button" class="button merge" data-n="' +
          n + '">' + esc(X.mergeInto) + " " + esc(c.number) + "</button></li>";
      }).join("") + "</ul>";
      found.forEach(function (c) {
        L.circleMarker(c.point, {radius: 9, weight: 3, dashArray: "4 3", color: "#7b2cbf", fillOpacity: 0.3})
          .bindTooltip(c.number, {permanent: true, direction: "top", className: "candidate-label"}).addTo(candidates);
      });
      L.circleMarker(item.point, {radius: 11, weight: 3, color: "#b3261e", fill: false}).addTo(candidates);
      map.fitBounds(candidates.getBounds().pad(0.4), {maxZoom: 17});
      Array.prototype.forEach.call(box.querySelectorAll(".merge"), function (b) {
        b.addEventListener("click", function () {
          var into = found[parseInt(b.dataset.n, 10)];
          act(item, "merge", {into: into.id}, function () { return X.merged + " " + into.number; });
        });
      });
    });
  }

  // --- dialogs: route elsewhere, reject ------------------------------------------------------------
  function open(id, item) {
    var d = $(id);
    d.dataset.appeal = item.id;
    d.querySelector(".dialog-number").textContent = item.number;
    d.querySelector(".error").textContent = "";
    d.showModal();
    return d;
  }
  function fillAgencies(needle) {
    var select = $("elsewhere-agency"), words = needle.toLowerCase().split(/\s+/).filter(Boolean);
    select.innerHTML = cfg.agencies.filter(function (a) {
      var hay = (a.short_name + " " + a.name).toLowerCase();
      return words.every(function (w) { return hay.indexOf(w) !== -1; });
    }).map(function (a) {
      return '<option value="' + a.id + '">' + esc(a.short_name) + " — " + esc(a.name) + "</option>";
    }).join("");
    if (select.options.length) { select.selectedIndex = 0; }
  }
  function openElsewhere(item) {
    $("elsewhere-search").value = "";
    fillAgencies("");
    open("elsewhere-dialog", item);
    $("elsewhere-search").focus();
  }
  $("elsewhere-search").addEventListener("input", function (e) { fillAgencies(e.target.value); });
  $("elsewhere-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var d = $("elsewhere-dialog"), item = items.filter(function (i) { return String(i.id) === d.dataset.appeal; })[0];
    var id = parseInt($("elsewhere-agency").value, 10);
    var agency = cfg.agencies.filter(function (a) { return a.id === id; })[0];
    if (!item || !agency) { d.querySelector(".error").textContent = X.failed; return; }
    route(item, agency, $("elsewhere-reason").value).then(function (r) {
      if (r && r.status === 200) { d.close(); $("elsewhere-form").reset(); } else if (r) { d.querySelector(".error").textContent = errorText(r.body); }
    });
  });
  function openReject(item) { open("reject-dialog", item); }
  $("reject-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var d = $("reject-dialog"), item = items.filter(function (i) { return String(i.id) === d.dataset.appeal; })[0];
    var reason = $("reject-form").querySelector("input[name=reason]:checked");
    if (!item || !reason) { return; }
    act(item, "reject", {reason: reason.value, note: $("reject-note").value}, function () { return X.rejected; })
      .then(function (r) {
        if (r && r.status === 200) { d.close(); $("reject-form").reset(); } else if (r) { d.querySelector(".error").textContent = errorText(r.body); }
      });
  });
  Array.prototype.forEach.call(document.querySelectorAll("dialog [data-close]"), function (b) {
    b.addEventListener("click", function () { b.closest("dialog").close(); });
  });

  // --- keyboard: 1/2/3 route the selected appeal, arrows move the selection -------------------------
  document.addEventListener("keydown", function (e) {
    var t = e.target, tag = t && t.tagName;
    if (e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) { return; }
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) { return; }
    var index = items.findIndex(function (i) { return i.id === currentId; });
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (!items.length) { return; }
      e.preventDefault();
      index = Math.max(0, Math.min(items.length - 1, index + (e.key === "ArrowDown" ? 1 : -1)));
      select(items[index].id, true);
      return;
    }
    if (["1", "2", "3"].indexOf(e.key) === -1) { return; }
    var item = current();
    if (!item || item.status !== "registered") { return; }
    var suggestion = item.suggestions[parseInt(e.key, 10) - 1];
    if (!suggestion) { return; }
    e.preventDefault();
    route(item, suggestion);
  });

  window.geoportal.desk = {load: load, items: function () { return items; }};
  load();
  // new arrivals every minute, unless the operator is in the middle of something (a dialog,
  // duplicate candidates on show, an act on its way)
  setInterval(function () {
    var candidatesShown = Array.prototype.some.call(document.querySelectorAll(".candidates"), function (c) { return !c.hidden; });
    if (!busy && !candidatesShown && !document.querySelector("dialog[open]")) { load(); }
  }, 60000);
})();

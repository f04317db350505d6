/* The agency queue: the staff's appeals (scope=work) on a map and in a list coloured by SLA
   (overdue red, due soon amber), claim (one or several), answer with photos, redirect (heads),
   filters; polls every 30 s and marks appeals that arrived since the last look. */
(function () {
  "use strict";
  var g = window.geoportal, T = g.T, esc = g.escape, locale = g.locale;  // common.js
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var $ = function (id) { return document.getElementById(id); };
  var map = window.geoportal.createMap("queue-map");
  window.geoportal.addDistricts(map);
  var layer = L.featureGroup().addTo(map);
  var form = $("queue-filters");
  var known = null, current = [], fitted = false, selected = {};

  function params() {
    var p = new URLSearchParams({scope: "work", page_size: "500"});
    g.formParams(form).forEach(function (value, key) { p.set(key, value); });
    return p;
  }
  function slaLabel(sla) {
    return {overdue: T("срок нарушен"), due_soon: T("срок истекает"), on_track: T("в срок")}[sla] || "";
  }
  function post(id, action, body, isForm) {
    var options = {method: "POST"};
    if (body) {
      options.body = isForm ? body : JSON.stringify(body);
      if (!isForm) { options.headers = {"Content-Type": "application/json"}; }
    }
    return window.geoportal.api("/api/v1/appeals/" + id + "/" + action + "/", options);
  }
  function errorText(body) {
    return Object.keys(body || {}).map(function (k) { return [].concat(body[k]).join(" "); }).join(" ") ||
      T("Не удалось выполнить действие.");
  }
  function item(f, isNew) {
    var p = f.properties, li = document.createElement("li");
    li.className = "queue-item q-" + p.sla + (isNew ? " is-new" : "");
    li.dataset.id = f.id;
    li.dataset.number = p.number;
    var deadline = p.deadline_at ? new Date(p.deadline_at).toLocaleDateString(locale) : "—";
    var canClaim = p.status === "routed" && !p.executor;
    var canAnswer = p.status === "accepted" || p.status === "in_progress";
    li.innerHTML = '<div class="row"><input type="checkbox" class="pick" aria-label="' + T("Выбрать") + " " +
      esc(p.number) + '"' + (canClaim ? "" : " disabled") + '><strong><a href="/appeals/' + f.id + '/">' + esc(p.number) +
      "</a></strong> " + (isNew ? '<span class="badge">' + T("новое") + "</span> " : "") +
      '<span class="badge sla-' + esc(p.sla) + '">' + esc(slaLabel(p.sla)) + "</span></div>" +
      "<div>" + esc(p.category_name) + " · " + esc(p.status_display) + "</div>" +
      '<div class="muted">' + T("Срок") + ": " + esc(deadline) + (p.address ? " · " + esc(p.address) : "") +
      (p.executor ? " · " + T("исполнитель") + ": " + esc(p.executor) : "") + "</div>" +
      '<div class="actions">' +
      (canClaim ? '<button type="button" class="button claim">' + T("Взять в работу") + "</button>" : "") +
      (canAnswer ? '<button type="button" class="button answer">' + T("Ответить") + "</button>" : "") +
      ($("redirect-dialog") && p.status !== "answered" ? '<button type="button" class="button secondary redirect">' +
        T("Переадресовать") + "</button>" : "") +
      '<button type="button" class="button secondary locate">' + T("На карте") + "</button></div>" +
      assignSelect(f) +
      '<p class="error" role="alert"></p>';
    var error = li.querySelector(".error");
    var claim = li.querySelector(".claim");
    if (claim) {
      claim.addEventListener("click", function () {
        claim.disabled = true;
        post(f.id, "claim").then(function (r) { if (r.status === 200) { load(); } else { claim.disabled = false; error.textContent = errorText(r.body); } });
      });
    }
    var assign = li.querySelector(".assign");
    if (assign) {
      assign.addEventListener("change", function () {
        if (!assign.value) { return; }
        assign.disabled = true;
        post(f.id, "assign", {executor: parseInt(assign.value, 10)}).then(function (r) {
          assign.disabled = false;
          if (r.status === 200) { load(); refreshWorkload(); } else { error.textContent = errorText(r.body); }
        });
      });
    }
    var answer = li.querySelector(".answer");
    if (answer) { answer.addEventListener("click", function () { openAnswer(f); }); }
    var redirect = li.querySelector(".redirect");
    if (redirect) { redirect.addEventListener("click", function () { openRedirect(f); }); }
    li.querySelector(".locate").addEventListener("click", function () {
      if (f.geometry) { map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], 17); }
    });
    var pick = li.querySelector(".pick");
    pick.checked = !!selected[f.id];
    pick.addEventListener("change", function () {
      if (pick.checked) { selected[f.id] = true; } else { delete selected[f.id]; }
      $("claim-selected").disabled = !Object.keys(selected).length;
    });
    return li;
  }
  // Agency heads: reassign by select among the executors of the responsible agency.
  function assignSelect(f) {
    var p = f.properties, people = (cfg.executors || []).filter(function (e) {
      return e.agencies.indexOf(p.agency_id) !== -1;
    });
    if (!people.length || ["routed", "accepted", "in_progress"].indexOf(p.status) === -1) { return ""; }
    var id = "assign-" + f.id;
    return '<div class="assign-row"><label for="' + id + '">' + T("Исполнитель") + '</label><select class="assign" id="' +
      id + '"><option value="">' + T("— не назначен —") + "</option>" + people.map(function (e) {
        return '<option value="' + e.id + '"' + (p.executor === e.username ? " selected" : "") + ">" + esc(e.name) + "</option>";
      }).join("") + "</select></div>";
  }
  function refreshWorkload() {
    var table = $("workload");
    if (!table) { return; }
    fetch(window.location.pathname, {credentials: "same-origin"}).then(function (r) { return r.text(); }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("workload");
      if (fresh) { table.replaceWith(fresh); }
    });
  }
  function render(features) {
    var ids = features.map(function (f) { return f.id; });
    var fresh = known === null ? [] : ids.filter(function (id) { return !known.has(id); });
    known = known || new Set();
    ids.forEach(function (id) { known.add(id); });
    var list = $("queue-list");
    list.innerHTML = "";
    layer.clearLayers();
    features.forEach(function (f) {
      list.appendChild(item(f, fresh.indexOf(f.id) !== -1));
      if (!f.geometry) { return; }
      var ll = [f.geometry.coordinates[1], f.geometry.coordinates[0]];
      L.marker(ll, {icon: L.divIcon({className: "", html: '<span class="dot sla-fill-' + esc(f.properties.sla) +
        '" data-number="' + esc(f.properties.number) + '"></span>', iconSize: [16, 16]}), title: f.properties.number})
        .bindPopup("<strong>" + esc(f.properties.number) + "</strong><br>" + esc(f.properties.category_name) + "<br>" +
          esc(slaLabel(f.properties.sla)))
        .on("click", function () {
          var el = list.querySelector('[data-id="' + f.id + '"]');
          if (el) { el.scrollIntoView({block: "nearest"}); }
        }).addTo(layer);
    });
    if (!features.length) {
      list.innerHTML = '<li class="muted">' + T("Очередь пуста: новых обращений по выбранным условиям нет.") + "</li>";
    }
    if (!fitted && layer.getLayers().length) { map.fitBounds(layer.getBounds().pad(0.2), {maxZoom: 15}); fitted = true; }
    if (fresh.length) {
      $("queue-announce").hidden = false;
      $("queue-announce").textContent = T("Новых обращений") + ": " + fresh.length;
    }
    $("queue-updated").textContent = T("Обновлено") + " " + new Date().toLocaleTimeString(locale) + " · " +
      features.length + " " + T("в списке");
    current = features;
  }
  function load() {
    return window.geoportal.api("/api/v1/appeals/?" + params().toString()).then(function (r) {
      if (r.status === 200) { render(r.body.features || []); }
    });
  }
  function dialog(id, f, numberId) {
    var d = $(id);
    $(numberId).textContent = f.properties.number;
    d.dataset.appeal = f.id;
    d.querySelector(".error").textContent = "";
    d.showModal();
    return d;
  }
  function openAnswer(f) { dialog("answer-dialog", f, "answer-number"); $("answer-text").focus(); }
  function openRedirect(f) { dialog("redirect-dialog", f, "redirect-number"); }
  Array.prototype.forEach.call(document.querySelectorAll("dialog [data-close]"), function (b) {
    b.addEventListener("click", function () { b.closest("dialog").close(); });
  });
  $("answer-form").addEventListener("submit", function (e) {
    e.preventDefault();
    var d = $("answer-dialog"), body = new FormData();
    body.append("text", $("answer-text").value);
    body.append("result", $("answer-result").value);
    Array.prototype.forEach.call($("answer-photos").files, function (file) { body.append("photos", file); });
    post(d.dataset.appeal, "answer", body, true).then(function (r) {
      if (r.status === 200) { d.close(); $("answer-form").reset(); load(); return; }
      $("answer-error").textContent = errorText(r.body);
    });
  });
  if ($("redirect-form")) {
    $("redirect-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var d = $("redirect-dialog");
      post(d.dataset.appeal, "redirect", {agency: parseInt($("redirect-agency").value, 10),
                                          reason: $("redirect-reason").value}).then(function (r) {
        if (r.status === 200) { d.close(); $("redirect-form").reset(); load(); return; }
        $("redirect-error").textContent = errorText(r.body);
      });
    });
  }
  $("claim-selected").addEventListener("click", function () {
    var ids = Object.keys(selected);
    $("claim-selected").disabled = true;
    ids.reduce(function (chain, id) {
      return chain.then(function () { return post(id, "claim").then(function () { delete selected[id]; }); });
    }, Promise.resolve()).then(load);
  });
  form.addEventListener("change", function () { known = null; fitted = false; load(); });
  window.geoportal.queue = {load: load, current: function () { return current; }};
  load();
  setInterval(load, (cfg.pollSeconds || 30) * 1000);
})();

/* The citizen's report flow on a phone: locate, pin (tap, drag), find a category, see nearby
   open appeals (support one instead of filing a duplicate), describe, attach photos, submit
   with an Idempotency-Key. Offline — or when the network drops mid-request — the draft goes to
   the offline queue (offline-queue.js) under the same key, so it is created exactly once. */
(function () {
  "use strict";
  var g = window.geoportal, T = g.T, esc = g.escape;  // common.js
  var cfg = JSON.parse(document.getElementById("map-config").textContent);
  var form = document.getElementById("report");
  var $ = function (id) { return document.getElementById(id); };
  var map = window.geoportal.createMap("report-map");
  window.geoportal.addDistricts(map);
  var marker = null, draftKey = null, nearbySeq = 0;

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var bytes = new Uint8Array(16); crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function setPin(latlng) {
    if (!marker) {
      marker = L.marker(latlng, {draggable: true, keyboard: true, title: T("Место проблемы")}).addTo(map);
      marker.on("dragend", function () { setPin(marker.getLatLng()); });
    } else {
      marker.setLatLng(latlng);
    }
    $("lat").value = latlng.lat.toFixed(6);
    $("lon").value = latlng.lng.toFixed(6);
    $("pin-status").textContent = T("Метка") + ": " + $("lat").value + ", " + $("lon").value;
    $("error-location").textContent = "";
    loadNearby();
  }
  function fallback(message) {
    map.setView(cfg.fallbackCenter, 13);
    $("where-hint").textContent = message;
  }
  map.on("click", function (e) { setPin(e.latlng); });
  if (navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
      map.setView(ll, 17);
      setPin(ll);
      $("where-hint").textContent = T("Метка стоит там, где вы находитесь. Коснитесь карты или перетащите метку, чтобы уточнить.");
    }, function () {
      fallback(T("Не удалось определить местоположение. Коснитесь карты, чтобы поставить метку."));
    }, {timeout: 8000, maximumAge: 60000});
  } else {
    fallback(T("Коснитесь карты, чтобы поставить метку."));
  }

  // Category search (category-search.js): ranked suggestions, the best one preselected; it
  // needs nothing but the page, so it works offline too.
  var select = $("category");
  var search = window.geoportalCategorySearch;
  var indexed = search.index(Array.prototype.map.call(select.querySelectorAll("option[data-code]"), function (o) {
    return {id: o.value, code: o.dataset.code, name: o.textContent, group: o.parentNode.label || ""};
  }));
  function choose(id) {
    if (select.value !== String(id)) { select.value = String(id); select.dispatchEvent(new Event("change")); }
    Array.prototype.forEach.call($("category-suggestions").querySelectorAll("button"), function (b) {
      b.setAttribute("aria-pressed", b.dataset.id === String(id) ? "true" : "false");
    });
  }
  $("category-search").addEventListener("input", function (e) {
    var found = search.rank(e.target.value, indexed).slice(0, 5), list = $("category-suggestions");
    list.innerHTML = "";
    list.hidden = !found.length;
    $("category-found").textContent = e.target.value.trim() && !found.length ?
      T("Ничего не нашлось: выберите категорию из списка.") : "";
    found.forEach(function (c) {
      var li = document.createElement("li"), b = document.createElement("button");
      b.type = "button";
      b.className = "button secondary suggestion";
      b.dataset.id = c.id;
      b.textContent = c.name;
      b.addEventListener("click", function () { choose(c.id); });
      li.appendChild(b);
      list.appendChild(li);
    });
    if (found.length) { choose(found[0].id); }
  });
  select.addEventListener("change", function () {
    var option = select.selectedOptions[0];
    $("photo-hint").textContent = option && option.dataset.photo === "1" ? T("(обязательно для этой категории)") : "";
    $("error-category").textContent = "";
    loadNearby();
  });

  function loadNearby() {
    var box = $("nearby"), list = $("nearby-list"), mine = ++nearbySeq;
    if (!select.value || !$("lat").value || !navigator.onLine) { box.hidden = true; return; }
    var params = new URLSearchParams({lat: $("lat").value, lon: $("lon").value, category: select.value});
    window.geoportal.api("/api/v1/appeals/nearby/?" + params.toString()).then(function (r) {
      if (mine !== nearbySeq || r.status !== 200) { return; }
      list.innerHTML = "";
      box.hidden = !r.body.length;
      r.body.forEach(function (f) {
        var p = f.properties, item = document.createElement("div");
        item.className = "nearby-item";
        item.innerHTML = "<strong>" + esc(p.number) + "</strong> · " + esc(p.status_display) + "<br>" +
          esc(p.category_name) + (p.address ? ", " + esc(p.address) : "") + '<br><span class="muted">' +
          T("Поддержали") + ": " + esc(p.supporters_count) + '</span><div class="row" style="margin-top:.4rem">' +
          '<button type="button" class="button secondary support">' + T("Поддержать вместо нового") + "</button>" +
          '<a href="/appeals/' + f.id + '/">' + T("Открыть") + "</a></div>";
        item.querySelector(".support").addEventListener("click", function (e) {
          e.target.disabled = true;
          window.geoportal.api("/api/v1/appeals/" + f.id + "/support/", {method: "POST"}).then(function (res) {
            if (res.status === 200) {
              item.insertAdjacentHTML("beforeend", '<p role="status">' + T("Спасибо! Вы поддержали обращение") + " " +
                esc(p.number) + ".</p>");
            } else {
              e.target.disabled = false;
              item.insertAdjacentHTML("beforeend", '<p class="error">' + esc((res.body && (res.body.detail ||
                JSON.stringify(res.body))) || T("Не удалось")) + "</p>");
            }
          });
        });
        list.appendChild(item);
      });
    });
  }

  function fields() {
    var data = {category: select.value, text: $("text").value.trim(), lat: $("lat").value, lon: $("lon").value,
                channel: "web"};
    if ($("text_is_private").checked) { data.text_is_private = "true"; }
    var photos = Array.prototype.slice.call($("photos").files);
    if (photos.length) { data.photos = photos; }
    return data;
  }
  var FIELDS = ["category", "text", "photos"];  // the fields that carry their error (aria-describedby)
  function clearErrors() {
    ["location", "category", "text", "photos", "general"].forEach(function (n) { $("error-" + n).textContent = ""; });
    FIELDS.forEach(function (n) { $(n).removeAttribute("aria-invalid"); });
  }
  function showErrors(body) {
    var shown = false;
    Object.keys(body || {}).forEach(function (name) {
      var target = $("error-" + name) || $("error-general");
      var value = body[name];
      target.textContent = Array.isArray(value) ? value.join(" ") : (typeof value === "string" ? value : JSON.stringify(value));
      if (FIELDS.indexOf(name) !== -1) { $(name).setAttribute("aria-invalid", "true"); }
      shown = true;
    });
    if (!shown) { $("error-general").textContent = T("Не удалось отправить обращение."); }
    // keyboard and screen-reader users land on the first field to fix (in the form's order)
    var first = ["location"].concat(FIELDS).filter(function (n) { return $("error-" + n).textContent; })[0];
    var field = first && (first === "location" ? $("report-map") : $(first));  // Leaflet's map takes focus
    if (field) { field.focus({preventScroll: true}); field.scrollIntoView({block: "center"}); }
  }
  function validate(data) {
    var errors = {};
    if (!data.lat) { errors.location = T("Поставьте метку на карте."); }
    if (!data.category) { errors.category = T("Выберите категорию."); }
    if (data.text.length < 10) { errors.text = T("Опишите проблему хотя бы в 10 символах."); }
    var option = select.selectedOptions[0];
    if (option && option.dataset.photo === "1" && !data.photos) { errors.photos = T("Для этой категории нужна фотография."); }
    return errors;
  }
  function queueDraft(data) {
    return window.geoportal.offlineQueue.enqueue("/api/v1/appeals/", data, draftKey).then(function () {
      var note = $("queued");
      note.hidden = false;
      note.textContent = T("Нет сети: обращение сохранено на телефоне и будет отправлено автоматически, как только связь появится.");
      $("submit").disabled = true;
      watchQueue();
    });
  }
  function watchQueue() {
    var key = draftKey;
    window.addEventListener("geoportal:draft-sent", function sent(e) {
      if (e.detail.key !== key) { return; }
      window.removeEventListener("geoportal:draft-sent", sent);
      $("queued").innerHTML = T("Обращение отправлено.") + ' <a href="/my/">' + T("Мои обращения") + "</a>";
      $("queued").dataset.sent = "1";
    });
    window.addEventListener("geoportal:draft-rejected", function rejected(e) {
      if (e.detail.key !== key) { return; }
      window.removeEventListener("geoportal:draft-rejected", rejected);
      $("queued").textContent = text.queuedRejected;
      $("queued").dataset.rejected = "1";
    });
  }

  // Drafts the server refused after the phone came back online: shown with the server's
  // errors and their text until the citizen fixes and resends or discards them.
  var text = cfg.draftText || {};
  function errorLines(errors) {
    var lines = [];
    Object.keys(errors || {}).forEach(function (name) {
      var value = errors[name];
      var message = Array.isArray(value) ? value.join(" ") : (typeof value === "string" ? value : JSON.stringify(value));
      var label = (text.fields || {})[name];
      lines.push(label ? label + ": " + message : message);
    });
    return lines.length ? lines : [text.unknown];
  }
  function draftText(item) { return (item.fields && item.fields.text) || ""; }
  function renderRejected() {
    window.geoportal.offlineQueue.rejected().then(function (items) {
      var box = $("rejected-drafts");
      box.querySelectorAll(".rejected-draft:not(.done)").forEach(function (el) { el.remove(); });
      items.forEach(function (item) {
        var el = document.createElement("div");
        el.className = "notice rejected-draft";
        el.setAttribute("role", "alert");
        el.dataset.key = item.key;
        el.innerHTML = "<strong>" + esc(text.rejectedTitle) + " (" + esc(new Date(item.at).toLocaleString()) +
          ")</strong><ul class=\"draft-errors\">" + errorLines(item.errors).map(function (l) {
            return "<li>" + esc(l) + "</li>"; }).join("") + "</ul><p class=\"draft-text\">" + esc(text.draftText) +
          " «" + esc(draftText(item)) + "»</p><div class=\"row\"><button type=\"button\" class=\"button fix\">" +
          esc(text.fix) + "</button><button type=\"button\" class=\"button secondary discard\">" + esc(text.discard) +
          "</button></div>";
        el.querySelector(".fix").addEventListener("click", function () { editDraft(item, el); });
        el.querySelector(".discard").addEventListener("click", function () {
          window.geoportal.offlineQueue.remove(item.key).then(function () {
            el.classList.add("done", "discarded");
            el.setAttribute("role", "status");
            el.innerHTML = "<strong>" + esc(text.discarded) + "</strong><p class=\"draft-text\">" + esc(text.draftText) +
              " «" + esc(draftText(item)) + "»</p>";
          });
        });
        box.appendChild(el);
      });
    });
  }
  function editDraft(item, el) {
    var f = item.fields || {};
    if (f.category && select.querySelector('option[value="' + CSS.escape(String(f.category)) + '"]')) {
      select.value = f.category;
      select.dispatchEvent(new Event("change"));
    }
    $("text").value = f.text || "";
    $("text_is_private").checked = f.text_is_private === "true";
    if (f.lat && f.lon) {
      var ll = L.latLng(parseFloat(f.lat), parseFloat(f.lon));
      map.setView(ll, 17);
      setPin(ll);
    }
    var files = (Array.isArray(f.photos) ? f.photos : (f.photos ? [f.photos] : [])).filter(function (p) {
      return p instanceof Blob; });
    if (files.length && window.DataTransfer) {
      var dt = new DataTransfer();
      files.forEach(function (file) { dt.items.add(file); });
      $("photos").files = dt.files;
    }
    draftKey = item.key;  // resent under its own key: it can still be created only once
    $("submit").disabled = false;
    $("queued").hidden = true;
    clearErrors();
    showErrors(item.errors);
    el.classList.add("done", "editing");
    el.setAttribute("role", "status");
    el.innerHTML = "<strong>" + esc(text.editing) + "</strong>";
    var firstError = document.querySelector(".error:not(:empty)");
    (firstError || $("text")).scrollIntoView({block: "center"});
  }
  window.addEventListener("geoportal:queue-flushed", renderRejected);
  window.addEventListener("geoportal:draft-rejected", renderRejected);
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    clearErrors();
    var data = fields(), errors = validate(data);
    if (Object.keys(errors).length) { showErrors(errors); return; }
    draftKey = draftKey || newKey();
    if (!navigator.onLine) { queueDraft(data); return; }
    var body = new FormData();
    Object.keys(data).forEach(function (name) {
      (Array.isArray(data[name]) ? data[name] : [data[name]]).forEach(function (v) { body.append(name, v); });
    });
    $("submit").disabled = true;
    fetch("/api/v1/appeals/", {method: "POST", body: body, credentials: "same-origin",
      headers: {"Idempotency-Key": draftKey, "X-CSRFToken": window.geoportal.csrf, "Accept": "application/json"}})
      .then(function (r) { return r.json().then(function (b) { return {status: r.status, body: b}; }); })
      .then(function (res) {
        if (res.status === 201) {
          var go = function () { window.location.href = "/appeals/" + res.body.id + "/"; };
          // a refused draft that was fixed and sent leaves the queue
          window.geoportal.offlineQueue.remove(draftKey).then(go, go);
          return;
        }
        $("submit").disabled = false;
        showErrors(res.body);
      }, function () { queueDraft(data); });  // the request never completed: same key, sent later
  });
})();

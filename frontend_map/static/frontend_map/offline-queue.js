/* A queue of form submissions kept in IndexedDB while the phone is offline; each carries an
   Idempotency-Key, so a retry after a lost response can never create a second appeal.

   After a flush a draft is either sent (2xx: removed, "geoportal:draft-sent"), still pending
   (no network, 5xx, 401/403/408/429 — signed out or throttled: tried again later), or
   rejected (any other 4xx: the server judged the draft itself, e.g. a broken photo). A rejected
   draft is never retried and never silently dropped: it stays in the queue with the server's
   field errors ("geoportal:draft-rejected") until the citizen fixes and resends it or discards
   it, and the report page shows it with its text. */
(function () {
  "use strict";
  var DB = "geoportal-offline", STORE = "outbox";
  var RETRY_LATER = [401, 403, 408, 429];
  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "key"}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode); var result = fn(t.objectStore(STORE));
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }
  function announce(name, detail) {
    window.dispatchEvent(new CustomEvent(name, {detail: detail}));
  }
  function isRejected(item) { return item.state === "rejected"; }
  var queue = {
    enqueue: function (url, fields, key) {
      return tx("readwrite", function (s) {
        return s.put({key: key, url: url, fields: fields, at: Date.now(), state: "pending"});
      });
    },
    all: function () { return tx("readonly", function (s) { return s.getAll(); }); },
    pending: function () {
      return queue.all().then(function (items) { return items.filter(function (i) { return !isRejected(i); }); });
    },
    rejected: function () { return queue.all().then(function (items) { return items.filter(isRejected); }); },
    remove: function (key) { return tx("readwrite", function (s) { return s.delete(key); }); },
    reject: function (item, status, errors) {
      item.state = "rejected";
      item.status = status;
      item.errors = errors;
      item.rejectedAt = Date.now();
      return tx("readwrite", function (s) { return s.put(item); });
    },
    flushing: false,
    flush: function () {
      if (queue.flushing || !navigator.onLine) { return Promise.resolve([]); }
      queue.flushing = true;
      return queue.pending().then(function (items) {
        return items.reduce(function (chain, item) {
          return chain.then(function (outcomes) {
            var body = new FormData();
            Object.keys(item.fields).forEach(function (name) {
              var value = item.fields[name];
              (Array.isArray(value) ? value : [value]).forEach(function (v) { body.append(name, v); });
            });
            return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                                    headers: {"Idempotency-Key": item.key, "X-CSRFToken": window.geoportal.csrf,
                                              "Accept": "application/json"}})
              .then(function (r) {
                return r.json().catch(function () { return {}; }).then(function (answer) {
                  if (r.status >= 200 && r.status < 300) {
                    return queue.remove(item.key).then(function () {
                      announce("geoportal:draft-sent", {key: item.key, body: answer});
                      outcomes.push({key: item.key, status: r.status, state: "sent"});
                      return outcomes;
                    });
                  }
                  if (r.status >= 400 && r.status < 500 && RETRY_LATER.indexOf(r.status) === -1) {
                    return queue.reject(item, r.status, answer).then(function () {
                      announce("geoportal:draft-rejected", {key: item.key, status: r.status, errors: answer});
                      outcomes.push({key: item.key, status: r.status, state: "rejected"});
                      return outcomes;
                    });
                  }
                  outcomes.push({key: item.key, status: r.status, state: "pending"});
                  return outcomes;
                });
              }, function () {  // still offline: keep it
                outcomes.push({key: item.key, status: 0, state: "pending"});
                return outcomes;
              });
          });
        }, Promise.resolve([]));
      }).finally(function () { queue.flushing = false; });
    }
  };
  window.geoportal = window.geoportal || {};
  window.geoportal.offlineQueue = queue;
  window.addEventListener("online", function () { queue.flush(); });
  document.addEventListener("DOMContentLoaded", function () {
    queue.flush().then(function () { announce("geoportal:queue-flushed", {}); });
  });
})();

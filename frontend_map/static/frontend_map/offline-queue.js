/* A queue of form submissions kept in IndexedDB while the phone is offline; each carries an
   Idempotency-Key, so a retry after a lost response can never create a second appeal. */
(function () {
  "use strict";
  var DB = "geoportal-offline", STORE = "outbox";
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
  var queue = {
    enqueue: function (url, fields, key) {
      return tx("readwrite", function (s) { return s.put({key: key, url: url, fields: fields, at: Date.now()}); });
    },
    all: function () { return tx("readonly", function (s) { return s.getAll(); }); },
    remove: function (key) { return tx("readwrite", function (s) { return s.delete(key); }); },
    flushing: false,
    flush: function () {
      if (queue.flushing || !navigator.onLine) { return Promise.resolve([]); }
      queue.flushing = true;
      return queue.all().then(function (items) {
        return items.reduce(function (chain, item) {
          return chain.then(function (sent) {
            var body = new FormData();
            Object.keys(item.fields).forEach(function (name) {
              var value = item.fields[name];
              (Array.isArray(value) ? value : [value]).forEach(function (v) { body.append(name, v); });
            });
            return fetch(item.url, {method: "POST", body: body, credentials: "same-origin",
                                    headers: {"Idempotency-Key": item.key, "X-CSRFToken": window.geoportal.csrf}})
              .then(function (r) {
                if (r.status < 500) { return queue.remove(item.key).then(function () { sent.push(r.status); return sent; }); }
                return sent;
              }, function () { return sent; });  // still offline: keep it
          });
        }, Promise.resolve([]));
      }).finally(function () { queue.flushing = false; });
    }
  };
  window.geoportal = window.geoportal || {};
  window.geoportal.offlineQueue = queue;
  window.addEventListener("online", function () { queue.flush(); });
  document.addEventListener("DOMContentLoaded", function () { queue.flush(); });
})();

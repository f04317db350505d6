/* What every page script shares, loaded by base.html before the pages' own scripts:
   - geoportal.T(text): the text in the page's language (the catalogue base.html puts inline,
     frontend_map/js_text.py; Russian pages show the scripts' own Russian texts);
   - geoportal.locale: how numbers and dates are written on the page;
   - geoportal.escape(value): text made safe for the few places that still build HTML strings;
   - geoportal.el(tag, attributes, children): an element built with the DOM (texts become text
     nodes, never markup), the way new code should draw;
   - geoportal.formParams(form): a filter form's filled fields as query parameters. */
(function () {
  "use strict";
  var g = window.geoportal = window.geoportal || {};
  g.T = function (text) { return window.gettext ? window.gettext(text) : text; };
  g.locale = document.documentElement.lang === "en" ? "en-GB" : "ru-RU";
  g.escape = function (s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  };
  g.el = function (tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      var value = attributes[name];
      if (value === null || value === undefined || value === false) { return; }
      if (name === "text") { node.textContent = String(value); } else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) { return; }
      node.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
    });
    return node;
  };
  g.formParams = function (form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) { if (value) { params.set(key, value); } });
    return params;
  };
})();

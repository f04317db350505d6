/* The ballot page: the cycle's rule decides the controls (approval: at most k ticks with a
   counter; knapsack: ticks with a live budget bar against the district's money; cumulative:
   points with a remaining counter; ranked: places; choose-one: a radio). The ballot is sent
   to POST /api/v1/headings/<id>/ballot/; the server checks the rule again and its 400 (rule
   broken, e.g. over budget) or 409 (a ballot was already cast) is shown in words. */
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  var cfg = JSON.parse($("ballot-config").textContent);
  var S = JSON.parse($("ballot-strings").textContent);
  var form = $("ballot"), message = $("ballot-message"), text = $("budget-text"), bar = $("budget-bar");
  var money = parseFloat(cfg.money);

  function fmt(n) { return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0") + "\u00a0₽"; }
  function items() { return Array.prototype.slice.call(form.querySelectorAll(".ballot-item")); }
  var el = window.geoportal.el;  // frontend_map/common.js: DOM building, texts never parsed as markup
  function say(parts, ok) {  // parts: texts and elements, in order
    message.className = "ballot-result " + (ok ? "ok" : "bad");
    message.replaceChildren.apply(message, [].concat(parts));
  }

  function state() {
    var chosen = [], total = 0, points = 0, ranks = {}, duplicate = false;
    items().forEach(function (li) {
      var id = parseInt(li.dataset.project, 10), box = li.querySelector("input[name=pick]");
      var pts = li.querySelector("input[name=points]"), rank = li.querySelector("select[name=rank]");
      var on = false;
      if (box) { on = box.checked; if (on) { chosen.push({project: id}); total += parseFloat(li.dataset.cost); } }
      if (pts) { var v = parseInt(pts.value, 10) || 0; on = v > 0; if (on) { chosen.push({project: id, points: v}); points += v; } }
      if (rank && rank.value) { on = true; if (ranks[rank.value]) { duplicate = true; } ranks[rank.value] = id; }
      li.classList.toggle("chosen", on);
    });
    if (cfg.rule === "ranked") {
      chosen = Object.keys(ranks).map(Number).sort(function (a, b) { return a - b; })
        .map(function (r) { return {project: ranks[r]}; });
    }
    return {chosen: chosen, total: total, points: points, duplicate: duplicate};
  }

  function render() {
    var s = state(), over = false;
    if (cfg.rule === "knapsack") {
      over = s.total > money;
      bar.querySelector("span").style.width = Math.min(100, money ? 100 * s.total / money : 100) + "%";
      bar.setAttribute("aria-valuenow", Math.round(s.total));
      bar.classList.toggle("over", over);
      text.textContent = fmt(s.total) + " " + S.of + " " + fmt(money) + " · " +
        (over ? S.over + " " + fmt(s.total - money) : S.left + " " + fmt(money - s.total));
    } else if (cfg.rule === "cumulative") {
      over = cfg.pointsTotal && s.points > cfg.pointsTotal;
      bar.querySelector("span").style.width = Math.min(100, 100 * s.points / (cfg.pointsTotal || 1)) + "%";
      bar.classList.toggle("over", !!over);
      text.textContent = cfg.pointsTotal ? (over ? S.pointsOver + ": " + (s.points - cfg.pointsTotal)
                                                 : S.pointsLeft + ": " + (cfg.pointsTotal - s.points)) : "";
    } else {
      text.textContent = S.chosen + ": " + s.chosen.length + (cfg.maxApprovals ? " " + S.of + " " + cfg.maxApprovals : "");
    }
    text.classList.toggle("over", !!over);
    return {s: s, over: over};
  }

  form.addEventListener("change", function (e) {
    var box = e.target;
    if (box.name === "pick" && box.checked && cfg.maxApprovals && (cfg.rule === "approval" || cfg.rule === "knapsack") &&
        state().chosen.length > cfg.maxApprovals) {
      box.checked = false;
      say(S.limit, false);
    } else { message.textContent = ""; message.className = ""; }
    render();
  });
  form.addEventListener("input", render);

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var r = render();
    if (!r.s.chosen.length) { say(S.empty, false); return; }
    if (cfg.rule === "knapsack" && r.over) { say(S.fixBudget, false); return; }
    if (cfg.rule === "cumulative" && r.over) { say(S.fixPoints, false); return; }
    if (r.s.duplicate) { say(S.rank, false); return; }
    var button = $("cast");
    button.disabled = true;
    say(S.sending, true);
    fetch(cfg.url, {method: "POST", credentials: "same-origin", body: JSON.stringify({choices: r.s.chosen}),
                    headers: {"Content-Type": "application/json", "Accept": "application/json",
                              "X-CSRFToken": window.geoportal.csrf}})
      .then(function (resp) {
        return resp.json().catch(function () { return {}; }).then(function (body) { return {status: resp.status, body: body}; });
      }).then(function (res) {
      if (res.status === 201) {
        form.querySelector(".ballot-list").hidden = true;
        button.hidden = true;
        say(el("strong", {text: S.accepted}), true);
        form.dataset.cast = "1";
        return;
      }
      button.disabled = false;
      var body = res.body || {}, lines = [];
      Object.keys(body).forEach(function (k) {
        (Array.isArray(body[k]) ? body[k] : [body[k]]).forEach(function (m) {
          lines.push(typeof m === "string" ? m : JSON.stringify(m));
        });
      });
      if (res.status === 409) {
        button.disabled = true;
        say([el("strong", {text: S.again}), el("br"), lines.join(" ")], false);
      } else {
        say([el("strong", {text: S.rejected}), ": " + lines.join(" ")], false);
      }
      form.dataset.error = String(res.status);
    }, function () { button.disabled = false; say(S.network, false); });
  });
  render();
})();

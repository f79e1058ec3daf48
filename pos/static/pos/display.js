/* The customer display: polls what the terminal shows (short polling, about every second) and
 * draws it in large type. It computes nothing; every figure is the terminal's (the server's). */
(function () {
  "use strict";

  var root = document.getElementById("display");
  if (!root) return;
  var URL_STATE = root.dataset.state;
  var idleEl = document.getElementById("d-idle");
  var cartEl = document.getElementById("d-cart");
  var rowsEl = document.getElementById("d-rows");
  var cardEl = document.getElementById("d-card");
  var totalsEl = document.getElementById("d-totals");
  var last = "";

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function yuan(amount) {
    var text = amount == null || amount === "" ? "0.00" : String(amount);
    return text.charAt(0) === "-" ? "-￥" + text.slice(1) : "￥" + text;
  }

  function row(label, value, cls) {
    return '<div class="d-row ' + (cls || "") + '"><span>' + esc(label) + "</span><span>" + esc(value) + "</span></div>";
  }

  function draw(s) {
    var idle = s.state === "idle" || !s.lines || !s.lines.length;
    idleEl.hidden = !idle;
    cartEl.hidden = idle;
    root.dataset.shown = idle ? "idle" : s.state;
    if (idle) return;
    rowsEl.innerHTML = s.lines.map(function (l) {
      return "<tr><td>" + esc(l.name) + " " + esc(l.spec) + '</td><td class="num">' + esc(l.qty) + esc(l.unit) +
        '</td><td class="num d-list">' + esc(l.list_price) + '</td><td class="num d-charity">' + esc(l.charity_price) +
        '</td><td class="num">' + esc(l.total) + "</td></tr>";
    }).join("");
    var c = s.card;
    cardEl.innerHTML = c
      ? '<span class="d-holder">' + esc(c.holder) + "</span>卡余额 " + esc(yuan(c.balance)) +
        (c.balance_after != null ? '　付后 <b class="d-after">' + esc(yuan(c.balance_after)) + "</b>" : "")
      : "未刷卡：按标价";
    var html = row("标价合计", yuan(s.list_total));
    if (c) html += row("慈善优惠 共省", yuan(s.discount_total), "d-saving");
    html += row("应付", yuan(s.total), "d-due");
    if (s.state === "done" && s.change != null) html += row("找零", yuan(s.change));
    if (s.state === "done") html += row("谢谢惠顾", "");
    totalsEl.innerHTML = html;
  }

  function poll() {
    fetch(URL_STATE, { credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (text) {
        if (text && text !== last) {
          last = text;
          draw(JSON.parse(text));
        }
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { setTimeout(poll, 1000); });
  }

  poll();
})();

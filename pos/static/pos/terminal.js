/* The cashier terminal: keyboard only, everything through the JSON API (/api/v1).
 *
 * The server prices everything; this script never computes a price. It keeps the cart (barcodes
 * and quantities), asks POST /quote after every change, and shows what the server answered.
 * Quantities are handled as integer thousandths (weighed goods have up to three decimals).
 */
(function () {
  "use strict";

  var root = document.getElementById("terminal");
  if (!root) return;

  var TOKEN = root.dataset.token; // the bearer token issued for this page
  var API = root.dataset.api || "/api/v1";
  var PRINTER_STATE = root.dataset.printerState || "/printing/state";
  var PUBLIC_SALES = root.dataset.publicSales === "true";
  var RECEIPTLESS_LIMIT = root.dataset.receiptlessLimit || ""; // counter.receiptless_cash_limit
  var TZ = root.dataset.tz || undefined; // the store's zone: times show in store time
  var CARD_RE = /^\d{16}$/;
  var QR_RE = /\/b\/([A-Za-z0-9_\-]+)\/?$/;
  var QTY_RE = /^(\d{1,4}(?:\.\d{1,3})?)\*(.*)$/;
  var DENOMINATIONS = ["100.00", "50.00", "20.00", "10.00", "5.00", "1.00", "0.50", "0.10"];

  var scan = document.getElementById("scan");
  var rowsEl = document.getElementById("t-rows");
  var emptyEl = document.getElementById("t-empty");
  var messageEl = document.getElementById("t-message");
  var cardEl = document.getElementById("t-card");
  var totalsEl = document.getElementById("t-totals");
  var doneEl = document.getElementById("t-done");
  var busyEl = document.getElementById("t-busy");
  var printerEl = document.getElementById("t-printer");
  var backdrop = document.getElementById("t-dialog-backdrop");
  var dialogEl = document.getElementById("t-dialog");
  var hintHTML = messageEl.innerHTML;

  var S = {
    lines: [], // {barcode, qty: "2" | "0.512" | null (a scale label carries it), scale, weighed}
    quote: null, // the last POST /quote answer for exactly these lines and card
    card: null, // GET /terminal/card answer
    proxy: -1, // index into card.proxies; -1: the holder collects
    selected: -1,
    clientRef: null, // one per payment attempt; reused on retry
    uncertain: null, // a sale request whose outcome is unknown (network): retry only
    done: null, // the last sale answer, shown until the next scan
    dialog: null,
    lastSaleNo: null,
  };
  try {
    S.lastSaleNo = window.localStorage.getItem("charity.terminal.lastSale");
  } catch (e) {
    /* private mode: remember in memory only */
  }

  // --- helpers --------------------------------------------------------------------------------

  var STATUS_TEXT = {
    printed: "小票已打印",
    queued: "打印机暂不可用：小票已排队，恢复后自动补打",
    failed: "小票打印失败：请检查打印机（纸、电源、连线），稍后 F9 重打",
    off: "未启用打印机（不打印小票）",
  };

  var HINTS = {
    unknown_product: "请核对条码；扫不出时手工输入条码后按 Enter，仍不行请把商品交给店长登记。",
    unknown_card: "请核对卡号；卡号为 16 位数字，仍不行请持卡人联系民政部门。",
    card_frozen: "此卡不能使用：请持卡人联系民政部门补卡，或改用现金（F5）。",
    beneficiary_inactive: "持卡人救助资格已停止：请联系民政部门核实，或改用现金（F5）。",
    insufficient_balance: "卡余额不足：按 F4 重新收款，差额用现金补足。",
    clothing_quota_exceeded: "本季度衣物已领完：选中衣物行按 Delete 删除。",
    payment_mismatch: "请核对收款金额后再按 Enter。",
    validation_error: "请核对输入后重试。",
    unauthorized: "登录已过期：请按 Ctrl+R 刷新页面，重新登录。",
    forbidden: "需要店长权限：请店长输入用户名和密码。",
    not_found: "请核对单号后重试。",
    conflict: "请稍候再试；若重复出现请找店长。",
    network: "网络中断：请检查网线或无线网络，然后重试。",
    server: "系统出错：请记下时间告诉管理员，稍后重试。",
  };

  function ApiError(code, message, status, hint, details) {
    this.code = code;
    this.message = message;
    this.status = status || 0;
    this.hint = hint || null;
    this.details = details || {};
  }

  // a 409 for a shift of an earlier business day: count and close it before the next sale
  function isStaleShift(err) {
    return err instanceof ApiError && err.code === "conflict" && err.details.reason === "stale_shift";
  }

  function call(method, path, body, token) {
    var headers = { Accept: "application/json", Authorization: "Bearer " + (token || TOKEN) };
    var options = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    var url = path.charAt(0) === "/" && path.indexOf(API) !== 0 && path.indexOf("/printing") !== 0
      ? API + path : path;
    return fetch(url, options).then(
      function (res) {
        return res.text().then(function (text) {
          var data = null;
          try {
            data = text ? JSON.parse(text) : null;
          } catch (e) {
            data = null;
          }
          if (!res.ok) {
            var err = (data && data.error) || {};
            var code = err.code || (res.status >= 500 ? "server" : "validation_error");
            throw new ApiError(code, err.message || "服务器出错（" + res.status + "）", res.status, null,
              err.details);
          }
          return { status: res.status, data: data };
        });
      },
      function () {
        throw new ApiError("network", "网络中断：连不上收银服务器");
      }
    );
  }

  function esc(text) {
    return String(text == null ? "" : text).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // one money format everywhere, as the receipts print it: ￥12.34, -￥4.67
  function yuan(amount) {
    var text = amount == null ? "0.00" : String(amount);
    return text.charAt(0) === "-" ? "-￥" + text.slice(1) : "￥" + text;
  }

  function minus(amount) {
    return isZero(amount) ? yuan("0.00") : yuan("-" + amount);
  }

  function storeTime(iso, options) {
    var o = Object.assign({ timeZone: TZ, hour12: false }, options || {});
    try {
      return new Date(iso).toLocaleString("zh-CN", o);
    } catch (e) {
      delete o.timeZone; // an unknown zone name: the browser's
      return new Date(iso).toLocaleString("zh-CN", o);
    }
  }

  function isZero(amount) {
    return !amount || /^0+(\.0+)?$/.test(amount);
  }

  // quantities as integer thousandths; this is counting, not pricing
  function toMilli(text) {
    var m = /^(\d+)(?:\.(\d{1,3}))?$/.exec(String(text));
    if (!m) return null;
    return parseInt(m[1], 10) * 1000 + parseInt(((m[2] || "") + "000").slice(0, 3), 10);
  }

  function fromMilli(milli) {
    var whole = Math.floor(milli / 1000);
    var frac = String(milli % 1000 + 1000).slice(1).replace(/0+$/, "");
    return frac ? whole + "." + frac : String(whole);
  }

  // "12" "12.3" "12.30" -> "12.30"; anything else -> null
  function amountText(text) {
    var m = /^(\d{1,7})(?:\.(\d{1,2}))?$/.exec(String(text).trim());
    if (!m) return null;
    return String(parseInt(m[1], 10)) + "." + ((m[2] || "") + "00").slice(0, 2);
  }

  function newClientRef() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    // plain http on the store network is not a secure context: build a v4 UUID by hand
    var b = new Uint8Array(16);
    window.crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- messages -------------------------------------------------------------------------------

  function showError(err, extra) {
    var code = err.code || "validation_error";
    var hint = extra || err.hint || HINTS[code] || HINTS.validation_error;
    messageEl.className = "t-message t-error";
    messageEl.innerHTML = '<span class="t-error-text">' + esc(err.message) + "</span>" +
      '<span class="t-error-hint">' + esc(hint) + "</span>";
    messageEl.dataset.code = code;
    root.classList.remove("t-flash");
    void root.offsetWidth; // restart the flash animation
    root.classList.add("t-flash");
  }

  function showNotice(text, kind) {
    messageEl.className = "t-message t-" + (kind || "ok");
    messageEl.innerHTML = '<span class="t-notice">' + esc(text) + "</span>";
    messageEl.dataset.code = "";
  }

  function clearMessage() {
    messageEl.className = "t-message";
    messageEl.innerHTML = hintHTML;
    messageEl.dataset.code = "";
  }

  // --- one action at a time (a wedge scanner types faster than the server answers) -----------

  var queue = Promise.resolve();
  var pending = 0;

  function enqueue(action) {
    pending += 1;
    busyEl.hidden = false;
    queue = queue.then(action).catch(function (err) {
      if (err instanceof ApiError) showError(err);
      else showError(new ApiError("server", "页面出错：" + (err && err.message)));
    }).then(function () {
      pending -= 1;
      if (!pending) busyEl.hidden = true;
      refocus();
      settle();
    });
    return queue;
  }

  // --- keys typed ahead ----------------------------------------------------------------------
  // From an F-key (or a dialog's Enter) until the dialog it opens is on screen, or the action
  // ends, keys are held back and then replayed where they belong: a blind count typed after
  // F10 goes into the count, not into the scan field; digits typed after picking a held sale go
  // to the scan field, not to the list.

  var typeahead = { holding: false, keys: [] };

  function holdKeys() {
    typeahead.holding = true;
  }

  function releaseKeys() {
    typeahead.holding = false;
    while (typeahead.keys.length && !typeahead.holding) feedKey(typeahead.keys.shift());
  }

  function settle() {
    if (typeahead.holding && !pending) releaseKeys();
  }

  function fakeKey(key) {
    return { key: key, ctrlKey: false, altKey: false, metaKey: false, preventDefault: function () {} };
  }

  function feedKey(key) {
    var el = S.dialog ? document.activeElement : scan;
    var typing = el && el.tagName === "INPUT" && (!S.dialog || dialogEl.contains(el));
    if (key.length === 1 && typing && !(S.dialog && S.dialog.onKey && S.dialog.onKey(fakeKey(key)))) {
      var start = el.selectionStart == null ? el.value.length : el.selectionStart;
      var end = el.selectionEnd == null ? el.value.length : el.selectionEnd;
      el.value = el.value.slice(0, start) + key + el.value.slice(end);
      if (el.setSelectionRange) el.setSelectionRange(start + 1, start + 1);
      return;
    }
    if (key === "Backspace" && typing) {
      el.value = el.value.slice(0, -1);
      return;
    }
    if (!S.dialog && (key === "+" || key === "-") && scan.value === "") {
      onKey(fakeKey(key)); // the line commands, as when typed
      return;
    }
    if (key.length !== 1) onKey(fakeKey(key));
  }

  // --- the cart -------------------------------------------------------------------------------

  function cloneLines(lines) {
    return lines.map(function (l) {
      return { barcode: l.barcode, qty: l.qty, scale: l.scale, weighed: l.weighed, price: l.price, approval: l.approval };
    });
  }

  function requestLines(lines) {
    return lines.map(function (l) {
      var r = l.qty == null ? { barcode: l.barcode } : { barcode: l.barcode, qty: l.qty };
      if (l.price != null) r.price = l.price; // an open price typed at the counter
      if (l.approval) r.approval = l.approval;
      return r;
    });
  }

  // Price `lines` with `card` on the server; only on success do they become the cart.
  function apply(lines, card, selected) {
    if (S.uncertain) {
      return Promise.reject(new ApiError("conflict", "上一笔付款结果未知，不能修改购物清单", 0,
        "按 F4 或 F5 后按 Enter 重试付款，直到成功或报错。"));
    }
    if (!lines.length) {
      S.lines = [];
      S.quote = null;
      S.card = card;
      S.selected = -1;
      S.clientRef = null;
      render();
      return Promise.resolve();
    }
    var body = { lines: requestLines(lines) };
    if (card) body.card_no = card.card_no;
    return call("POST", "/quote", body).then(function (res) {
      var q = res.data;
      lines.forEach(function (l, i) {
        var ql = q.lines[i];
        l.weighed = ql.weighed;
        l.scale = ql.barcode !== l.barcode; // a scale label: the server read the weight from it
        if (!l.scale) l.qty = ql.qty;
      });
      S.lines = lines;
      S.quote = q;
      if (card && q.card) {
        card = Object.assign({}, card, q.card);
      }
      S.card = card;
      S.selected = Math.max(-1, Math.min(selected, lines.length - 1));
      S.clientRef = null; // a different cart is a different payment attempt
      render();
    });
  }

  function newCustomer() {
    S.lines = [];
    S.quote = null;
    S.card = null;
    S.proxy = -1;
    S.selected = -1;
    S.clientRef = null;
    S.uncertain = null;
    S.done = null;
    render();
  }

  function addProduct(code, qtyText) {
    var lines = cloneLines(S.lines);
    var addMilli = qtyText ? toMilli(qtyText) : 1000;
    if (!addMilli) {
      return Promise.reject(new ApiError("validation_error", "数量 " + qtyText + " 无效"));
    }
    var index = -1;
    for (var i = 0; i < lines.length; i++) {
      if (lines[i].barcode === code && !lines[i].scale && lines[i].price == null) index = i;
    }
    if (index >= 0) {
      var current = toMilli(lines[index].qty || "1");
      lines[index].qty = fromMilli(current + addMilli);
    } else {
      lines.push({ barcode: code, qty: qtyText ? fromMilli(addMilli) : null });
      index = lines.length - 1;
    }
    var name = code;
    var before = cloneLines(S.lines);
    var beforeSelected = S.selected;
    return apply(lines, S.card, index).then(function () {
      var line = S.quote.lines[index];
      name = line.name;
      var stock = /^-/.test(line.stock) ? 0 : toMilli(line.stock);
      if (qtyText && stock != null && toMilli(line.qty) > stock) {
        return confirmOverStock(line, before, beforeSelected);
      }
      if (line.weighed && !S.lines[index].scale && !qtyText) {
        showNotice("称重商品 " + name + " 按 1 " + line.unit + " 计：实际重量请输入 重量*条码（如 0.512*" +
          code + "）", "warn");
      } else {
        clearMessage();
      }
    });
  }

  // a typed quantity above the stock on record: a slip of the finger (999 for 9) until confirmed
  function confirmOverStock(line, before, beforeSelected) {
    showNotice("数量 " + line.qty + " 超过库存 " + line.stock + "：请确认", "warn");
    openDialog({
      title: "数量超过库存",
      cls: "t-dialog-pay",
      html: "<p>" + esc(line.name) + "：要卖 <b>" + esc(line.qty) + " " + esc(line.unit) + "</b>，系统库存只有 <b>" +
        esc(line.stock) + " " + esc(line.unit) + "</b>。</p><p>数量输错了吗？</p>" +
        '<input id="d-stock" class="t-hidden-input" aria-label="确认数量">',
      keys: "Enter 确认数量　Esc 取消（恢复原数量）",
      onSubmit: function () {
        closeDialog();
        showNotice("已确认：" + line.name + " " + line.qty + " " + line.unit + "（超过库存）", "warn");
      },
      onCancel: function () {
        dialogRun(function () {
          return apply(before, S.card, beforeSelected).then(function () {
            closeDialog();
            showNotice("已取消：" + line.name + " 数量恢复", "ok");
          });
        });
      },
    });
  }

  function attachCard(cardNo) {
    return call("GET", "/terminal/card/" + encodeURIComponent(cardNo)).then(function (res) {
      var card = res.data;
      return apply(cloneLines(S.lines), card, S.selected).then(function () {
        S.proxy = -1;
        render();
        if (isZero(card.balance)) {
          showNotice("已刷卡：" + card.holder + "，余额 " + yuan(card.balance) + "：余额不足，只能付现金（F5）", "warn");
        } else {
          showNotice("已刷卡：" + card.holder + "，余额 " + yuan(card.balance), "ok");
        }
      });
    });
  }

  // after a sale: the card's balance and clothing left, as the server now sees them
  function refreshCard(cardNo) {
    call("GET", "/terminal/card/" + encodeURIComponent(cardNo)).then(function (res) {
      if (S.done && S.card && S.card.card_no === cardNo) {
        S.card = Object.assign({}, S.card, res.data);
        renderCard();
      }
    }, function () { /* the sale stands; the panel keeps the sale's balance */ });
  }

  // +/- and Delete read the cart when their turn comes: keys pressed faster than the server
  // answers must build on each other's results
  function changeQty(delta) {
    enqueue(function () {
      if (S.selected < 0 || !S.lines[S.selected]) {
        throw new ApiError("validation_error", "请先用 ↑ ↓ 选中一行", 0, "再按 + 或 − 改数量。");
      }
      var line = S.lines[S.selected];
      if (line.scale) {
        throw new ApiError("validation_error", "电子秤标签商品的重量不能改", 0,
          "如需改动：按 Delete 删除这一行，重新称重后再扫码。");
      }
      var milli = toMilli(line.qty || "1") + delta * 1000;
      if (milli <= 0) {
        throw new ApiError("validation_error", "数量不能小于 1", 0, "要删除这一行请按 Delete。");
      }
      var lines = cloneLines(S.lines);
      lines[S.selected].qty = fromMilli(milli);
      return apply(lines, S.card, S.selected).then(clearMessage);
    });
  }

  function removeSelected() {
    enqueue(function () {
      if (S.selected < 0 || !S.lines[S.selected]) {
        throw new ApiError("validation_error", "请先用 ↑ ↓ 选中要删除的一行", 0, "再按 Delete。");
      }
      var lines = cloneLines(S.lines);
      var removed = S.quote ? S.quote.lines[S.selected].name : lines[S.selected].barcode;
      lines.splice(S.selected, 1);
      return apply(lines, S.card, Math.min(S.selected, lines.length - 1)).then(function () {
        showNotice("已删除：" + removed, "ok");
      });
    });
  }

  function moveSelection(step) {
    enqueue(function () {
      if (!S.lines.length) return;
      var next = S.selected < 0 ? (step > 0 ? 0 : S.lines.length - 1) : S.selected + step;
      S.selected = Math.max(0, Math.min(S.lines.length - 1, next));
      renderLines();
    });
  }

  // --- what was typed into the scan field -----------------------------------------------------

  function handleScan(raw) {
    var text = raw.trim();
    if (!text) return;
    enqueue(function () {
      if (S.done) newCustomer(); // the next customer's first scan clears the finished sale
      var qty = null;
      var m = QTY_RE.exec(text);
      if (m) {
        qty = m[1];
        text = m[2].trim();
        if (!text) {
          throw new ApiError("validation_error", "只输入了数量 " + qty + "，还没有扫码");
        }
      }
      var qr = QR_RE.exec(text);
      if (qr) {
        // The phone shows the card's balance-page QR: it carries the card's token, not its number.
        if (qty) throw new ApiError("validation_error", "卡号前不能加数量");
        return call("GET", "/terminal/qr/" + encodeURIComponent(qr[1])).then(function (res) {
          return attachCard(res.data.card_no);
        });
      }
      if (CARD_RE.test(text)) {
        if (qty) throw new ApiError("validation_error", "卡号前不能加数量");
        return attachCard(text);
      }
      if (text.length > 32) {
        throw new ApiError("unknown_product", "未找到条码为 " + text.slice(0, 32) + "… 的商品");
      }
      return addProduct(text, qty);
    });
  }

  // --- rendering ------------------------------------------------------------------------------

  function render() {
    renderLines();
    renderCard();
    renderTotals();
    renderDone();
    sendToDisplay();
  }

  // --- the customer display (/display): what this screen shows, sent after every change -------

  var displayTimer = null;

  function displayState() {
    var q = S.quote;
    var d = S.done;
    if (!q || !S.lines.length) return { state: "idle" };
    var state = {
      state: d ? "done" : "cart",
      lines: q.lines.map(function (l) {
        return { name: l.name, spec: l.spec, qty: l.qty, unit: l.unit, list_price: l.list_price,
          charity_price: l.charity_price, total: l.total };
      }),
      list_total: q.list_total,
      discount_total: S.card ? q.discount_total : "0.00",
      total: q.total,
      card: null,
      change: d ? d.change : null,
    };
    if (S.card) {
      state.card = {
        holder: S.card.holder,
        balance: q.card ? q.card.balance : S.card.balance, // before this sale (the quote's)
        balance_after: d ? d.card_balance : q.balance_after,
      };
    }
    return state;
  }

  function sendToDisplay() {
    if (displayTimer) clearTimeout(displayTimer);
    displayTimer = setTimeout(function () {
      displayTimer = null;
      fetch(API + "/terminal/display", {
        method: "PUT",
        headers: { "Content-Type": "application/json", Authorization: "Bearer " + TOKEN },
        credentials: "same-origin",
        cache: "no-store",
        body: JSON.stringify(displayState()),
      }).catch(function () { /* the display misses one frame; the next change sends again */ });
    }, 150);
  }

  function renderLines() {
    var q = S.quote;
    var charity = !!S.card;
    root.classList.toggle("t-with-card", charity);
    var html = "";
    S.lines.forEach(function (l, i) {
      var ql = q && q.lines[i];
      if (!ql) return;
      var cls = i === S.selected ? ' class="t-selected" aria-selected="true"' : "";
      html += "<tr" + cls + ' data-index="' + i + '">' +
        '<td class="c-no">' + (i + 1) + "</td>" +
        '<td class="c-name"><span class="t-name">' + esc(ql.name) + "</span>" +
        (ql.spec ? ' <span class="t-spec">' + esc(ql.spec) + "</span>" : "") +
        (ql.clothing ? ' <span class="t-tag">衣物</span>' : "") +
        (l.scale ? ' <span class="t-tag">称重</span>' : "") + "</td>" +
        '<td class="num c-qty">' + esc(ql.qty) + '<span class="t-unit">' + esc(ql.unit) + "</span></td>" +
        '<td class="num c-price">' + esc(ql.list_price) + "</td>" +
        '<td class="num c-charity">' + esc(ql.charity_price) + "</td>" +
        '<td class="num c-total">' + esc(ql.total) + "</td></tr>";
    });
    rowsEl.innerHTML = html;
    emptyEl.hidden = S.lines.length > 0;
    var sel = rowsEl.querySelector(".t-selected");
    if (sel && sel.scrollIntoView) sel.scrollIntoView({ block: "nearest" });
  }

  function renderCard() {
    var c = S.card;
    if (!c) {
      cardEl.className = "t-card t-card-none";
      cardEl.innerHTML = '<div class="t-card-title">未刷卡 <span class="t-card-sub">F2 刷卡</span></div>' +
        (PUBLIC_SALES ? '<div class="t-card-sub">不刷卡按标价，只收现金</div>'
          : '<div class="t-card-sub">本店只向持卡人销售：请先刷卡</div>');
      return;
    }
    var cl = c.clothing || {};
    var left = Math.max(0, (cl.allowed || 0) - (cl.used || 0));
    var proxies = c.proxies || [];
    var collector = S.proxy >= 0 && proxies[S.proxy]
      ? proxies[S.proxy].name + (proxies[S.proxy].relation ? "（" + proxies[S.proxy].relation + "）" : "")
      : "本人";
    cardEl.className = "t-card";
    cardEl.innerHTML =
      '<div class="t-card-title"><span class="t-holder">' + esc(c.holder) + "</span>" +
      '<span class="t-card-no">' + esc(c.card_no.replace(/(\d{4})(?=\d)/g, "$1 ")) + "</span></div>" +
      '<dl class="t-card-facts">' +
      "<dt>余额</dt><dd class=\"t-balance\">" + yuan(c.balance) + "</dd>" +
      "<dt>本季衣物</dt><dd>剩 " + left + " 件<span class=\"t-card-sub\">（" + esc(cl.quarter || "") +
      " 共 " + (cl.allowed || 0) + "）</span></dd>" +
      "<dt>领取人</dt><dd>" + esc(collector) +
      (proxies.length ? ' <span class="t-card-sub">F3 换（代领 ' + proxies.length + " 人）</span>" : "") +
      "</dd></dl>";
  }

  function row(label, value, cls) {
    return '<div class="t-row ' + (cls || "") + '"><span>' + label + "</span><span>" + value + "</span></div>";
  }

  function renderTotals() {
    var q = S.quote;
    totalsEl.hidden = !!S.done;
    if (!q) {
      totalsEl.innerHTML = row("应付", yuan("0.00"), "t-due");
      return;
    }
    var html = row("标价合计", yuan(q.list_total));
    if (S.card) html += row("慈善优惠", minus(q.discount_total), "t-discount");
    html += row("应付", yuan(q.total), "t-due");
    if (S.card) {
      html += row("卡付", yuan(q.card_pays));
      html += row("现金应收", yuan(q.cash_due), "t-cash");
      html += row("付后卡余额", yuan(q.balance_after));
    } else {
      html += row("现金应收", yuan(q.total), "t-cash");
    }
    if (q.clothing_items) html += row("衣物", q.clothing_items + " 件");
    totalsEl.innerHTML = html;
  }

  function renderDone() {
    var d = S.done;
    doneEl.hidden = !d;
    if (!d) return;
    var status = d.receipt ? d.receipt.status : "off";
    doneEl.innerHTML =
      '<div class="t-done-title">收款完成 <span class="t-card-sub">' + esc(d.sale_no) + "</span></div>" +
      '<div class="t-change-label">找零</div>' +
      '<div class="t-change" id="t-change">' + yuan(d.change) + "</div>" +
      row("应付", yuan(d.total)) +
      row("卡付", yuan(d.paid_card)) +
      row("现金", yuan(d.paid_cash)) +
      (d.paid_qr && !isZero(d.paid_qr) ? row("扫码收款", yuan(d.paid_qr) + "（尾号 " + esc(d.qr_reference) + "）") : "") +
      (d.card_balance != null ? row("付后卡余额", yuan(d.card_balance), "t-after") : "") +
      '<div class="t-receipt t-receipt-' + esc(status) + '">' + esc(STATUS_TEXT[status] || status) + "</div>" +
      '<div class="t-card-sub">扫描下一位顾客的商品即开始新的一单</div>';
  }

  // --- dialogs --------------------------------------------------------------------------------
  // A dialog is {title, html, inputs: [ids], onEnter(inputId, value), onKey(event)}; its first
  // input gets the focus, Enter moves to the next input and on the last one calls onSubmit.

  function openDialog(d) {
    S.dialog = d;
    dialogEl.className = "t-dialog " + (d.cls || "");
    dialogEl.innerHTML = '<h2 id="t-dialog-title">' + esc(d.title) + "</h2>" +
      '<div class="t-dialog-body">' + d.html + "</div>" +
      '<p class="t-dialog-error" role="alert" hidden></p>' +
      '<p class="t-dialog-keys">' + (d.keys || "Enter 确认　Esc 取消") + "</p>";
    backdrop.hidden = false;
    refocus();
    releaseKeys(); // what was typed while it opened belongs to it
  }

  function closeDialog() {
    S.dialog = null;
    backdrop.hidden = true;
    dialogEl.innerHTML = "";
    refocus();
    releaseKeys();
  }

  function dialogError(err, hint) {
    var p = dialogEl.querySelector(".t-dialog-error");
    if (!p) return showError(err, hint);
    p.hidden = false;
    p.innerHTML = esc(err.message) + '<span class="t-error-hint">' + esc(hint || err.hint || HINTS[err.code] || "") + "</span>";
    dialogEl.classList.remove("t-flash");
    void dialogEl.offsetWidth;
    dialogEl.classList.add("t-flash");
  }

  function dialogInputs() {
    return Array.prototype.slice.call(dialogEl.querySelectorAll("input:not([disabled])"));
  }

  function dialogRun(action) {
    // run a dialog step; its errors show inside the dialog; keys typed meanwhile wait for its end
    holdKeys();
    pending += 1;
    busyEl.hidden = false;
    queue = queue.then(action).catch(function (err) {
      if (S.dialog) dialogError(err instanceof ApiError ? err : new ApiError("server", String(err)));
      else showError(err instanceof ApiError ? err : new ApiError("server", String(err)));
    }).then(function () {
      pending -= 1;
      if (!pending) busyEl.hidden = true;
      refocus();
      settle();
    });
  }

  function dialogKey(e) {
    var d = S.dialog;
    if (e.key === "Escape") {
      e.preventDefault();
      if (d.onCancel) d.onCancel();
      else closeDialog();
      return;
    }
    if (d.onKey && d.onKey(e)) {
      e.preventDefault();
      return;
    }
    if (e.key === "Enter") {
      e.preventDefault();
      var inputs = dialogInputs();
      var i = inputs.indexOf(document.activeElement);
      if (i >= 0 && i < inputs.length - 1) {
        inputs[i + 1].focus();
        inputs[i + 1].select();
        return;
      }
      if (d.onSubmit) d.onSubmit();
    }
  }

  function val(id) {
    var el = document.getElementById(id);
    return el ? el.value.trim() : "";
  }

  // F2: type or scan a card number; Delete takes the card off the sale
  function cardDialog() {
    openDialog({
      title: "刷卡 / 输入卡号",
      html: '<label class="t-field">卡号（16 位），或忘带卡时：姓名 + 身份证号/手机号后四位（如 张三 1234）' +
        '<input id="d-card" autocomplete="off" maxlength="40"></label>' +
        (S.card ? '<p>当前：' + esc(S.card.holder) + "　按 Delete 取消刷卡</p>" : ""),
      keys: "Enter 确认　" + (S.card ? "Delete 取消刷卡　" : "") + "Esc 返回",
      onKey: function (e) {
        if (e.key === "Delete" && S.card) {
          dialogRun(function () {
            return apply(cloneLines(S.lines), null, S.selected).then(function () {
              S.proxy = -1;
              closeDialog();
              showNotice("已取消刷卡：按标价计", "ok");
            });
          });
          return true;
        }
        return false;
      },
      onSubmit: function () {
        var no = val("d-card").replace(/\s+/g, "");
        if (/[^\d\s]/.test(val("d-card"))) {
          var q = val("d-card");
          dialogRun(function () {
            return call("GET", "/cards?q=" + encodeURIComponent(q)).then(function (res) { lookupList(q, res.data.items || []); });
          });
          return;
        }
        if (!CARD_RE.test(no)) {
          dialogError(new ApiError("unknown_card", "卡号应为 16 位数字，实际为 " + (no || "（空）")));
          return;
        }
        dialogRun(function () {
          return attachCard(no).then(closeDialog);
        });
      },
    });
  }

  // F2 without the card: the holders found (masked, at most five); a digit or ↑↓ Enter picks one
  function lookupList(q, items) {
    if (!items.length) {
      return dialogError(new ApiError("unknown_card", "没有找到“" + q + "”"),
        "请核对姓名和身份证号或手机号的后四位；仍找不到请持卡人联系民政部门。");
    }
    var html = '<ol class="t-held t-found">';
    items.forEach(function (c, i) {
      html += '<li data-index="' + i + '"' + (i === 0 ? ' class="t-selected"' : "") + "><kbd>" + (i + 1) + "</kbd> " +
        esc(c.holder) + "　" + esc(c.category) + "　卡尾号 " + esc(c.card_no.slice(-4)) + "　余额 " + yuan(c.balance) +
        (c.status === "active" ? "" : '　<span class="t-tag">' + (c.status === "frozen" ? "已挂失" : esc(c.status)) + "</span>") +
        "</li>";
    });
    html += "</ol>";
    openDialog({
      title: "找到 " + items.length + " 位持卡人",
      html: html + '<p class="t-card-sub">请核对本人后选择（查找已记录）</p>' +
        '<input id="d-pick" class="t-hidden-input" autocomplete="off" aria-label="持卡人序号">',
      keys: "数字键或 ↑↓ 加 Enter 选择　Esc 返回",
      onKey: function (e) {
        var list = dialogEl.querySelectorAll(".t-found li");
        var at = 0;
        for (var k = 0; k < list.length; k++) if (list[k].classList.contains("t-selected")) at = k;
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          var next = Math.max(0, Math.min(list.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)));
          list[at].classList.remove("t-selected");
          list[next].classList.add("t-selected");
          return true;
        }
        var c = null;
        if (e.key === "Enter") c = items[at];
        else if (/^[1-5]$/.test(e.key)) c = items[parseInt(e.key, 10) - 1];
        else return e.key.length === 1;
        if (!c) return true;
        dialogRun(function () { return attachCard(c.card_no).then(closeDialog); });
        return true;
      },
    });
  }

  function cycleProxy() {
    if (!S.card) return showError(new ApiError("validation_error", "还没有刷卡"), "先按 F2 刷卡。");
    var n = (S.card.proxies || []).length;
    if (!n) return showNotice("此卡没有登记代领人：由本人领取", "warn");
    S.proxy = S.proxy + 1 >= n ? -1 : S.proxy + 1;
    renderCard();
    showNotice("领取人：" + (S.proxy < 0 ? "本人" : S.card.proxies[S.proxy].name), "ok");
  }

  // F4 / F5: take the money
  function payDialog(withCard) {
    if (S.done) return showNotice("这一单已收款：扫描下一位顾客的商品", "warn");
    if (!S.quote) return showError(new ApiError("validation_error", "还没有商品"), "请先扫描商品。");
    if (withCard && !S.card) {
      return showError(new ApiError("validation_error", "还没有刷卡，不能用卡支付"), "按 F2 刷卡，或按 F5 收现金。");
    }
    if (!withCard && !S.card && !PUBLIC_SALES) {
      return showError(new ApiError("validation_error", "本店只向持卡人销售"), "请先按 F2 刷卡。");
    }
    var q = S.quote;
    if (withCard && isZero(q.card_pays) && !isZero(q.total)) {
      return showError(new ApiError("insufficient_balance", "卡余额不足：余额 " + yuan(S.card.balance) + "，卡上没有钱可付"),
        "请按 F5 全部收现金（仍按慈善价），或请顾客改日再来。");
    }
    var cardPays = withCard ? q.card_pays : "0.00";
    var cashDue = withCard ? q.cash_due : q.total;
    var html = '<div class="t-pay">' +
      row("应付", yuan(q.total), "t-due") +
      (withCard ? row("卡付", yuan(cardPays)) : "") +
      row("现金应收", yuan(cashDue), "t-cash") + "</div>" +
      (withCard && !isZero(cashDue) ? '<p class="t-short">卡余额不足：卡付 ' + yuan(cardPays) + "，差额 " + yuan(cashDue) + " 收现金</p>" : "");
    var needCash = !isZero(cashDue);
    html += '<label class="t-field">收到现金（元）<input id="d-cash" inputmode="decimal" autocomplete="off" placeholder="' +
      esc(cashDue) + '"></label><p class="t-card-sub">' +
      (needCash ? "直接按 Enter＝收到正好 " + esc(cashDue) + " 元；顾客扫本店收款码付款按 Q" : "无需现金：按 Enter 完成") + "</p>";
    openDialog({
      title: withCard ? "卡付 + 现金" : "现金收款",
      cls: "t-dialog-pay",
      html: html,
      keys: "Enter 收款　" + (needCash ? "Q 扫码收款　" : "") + "Esc 返回",
      onKey: function (e) {
        if (!needCash || S.uncertain || (e.key !== "q" && e.key !== "Q")) return false;
        qrDialog(withCard, cardPays, cashDue);
        return true;
      },
      onCancel: function () {
        if (S.uncertain) {
          dialogError(new ApiError("conflict", "付款结果未知：请按 Enter 重试，直到成功或报错"));
          return;
        }
        closeDialog();
      },
      onSubmit: function () {
        if (S.uncertain) return dialogRun(function () { return submitSale(S.uncertain); });
        var typed = val("d-cash");
        var cash = typed ? amountText(typed) : amountText(cashDue);
        if (cash == null) {
          dialogError(new ApiError("validation_error", "金额 " + typed + " 无效"), "请输入如 100 或 52.50 的金额。");
          return;
        }
        var payments = [];
        if (!isZero(cardPays)) payments.push({ method: "card", amount: cardPays });
        if (!isZero(cash)) payments.push({ method: "cash", amount: cash });
        if (!S.clientRef) S.clientRef = newClientRef();
        var body = { client_ref: S.clientRef, lines: requestLines(S.lines), payments: payments };
        if (S.card) body.card_no = S.card.card_no;
        if (S.card && S.proxy >= 0 && S.card.proxies[S.proxy]) body.proxy_id = S.card.proxies[S.proxy].id;
        dialogRun(function () { return submitSale(body); });
      },
    });
  }

  // Q in the pay dialog: the customer paid what cash would be to the store's own WeChat/Alipay
  // collection code; the cashier types the last digits of the transaction shown on the phone
  function qrDialog(withCard, cardPays, amount) {
    openDialog({
      title: "扫码收款（微信/支付宝）",
      cls: "t-dialog-pay",
      html: '<div class="t-pay">' + row("扫码应收", yuan(amount), "t-cash") + "</div>" +
        '<p class="t-card-sub">请顾客扫本店收款码付 ' + esc(amount) + " 元，看到到账后输入手机上交易单号的末几位。</p>" +
        '<label class="t-field">交易单号末 4 位以上<input id="d-qr-ref" autocomplete="off" maxlength="32"></label>',
      keys: "Enter 完成　Esc 返回",
      onCancel: function () {
        if (S.uncertain) {
          dialogError(new ApiError("conflict", "付款结果未知：请按 Enter 重试，直到成功或报错"));
          return;
        }
        closeDialog();
      },
      onSubmit: function () {
        if (S.uncertain) return dialogRun(function () { return submitSale(S.uncertain); });
        var ref = val("d-qr-ref");
        if (!/^[0-9A-Za-z]{4,32}$/.test(ref)) {
          return dialogError(new ApiError("validation_error", "交易单号末几位 " + (ref || "（空）") + " 无效"),
            "请输入顾客手机上交易单号的末 4 位以上（数字或字母）。");
        }
        var payments = [];
        if (withCard && !isZero(cardPays)) payments.push({ method: "card", amount: cardPays });
        payments.push({ method: "qr", amount: amount, reference: ref });
        if (!S.clientRef) S.clientRef = newClientRef();
        var body = { client_ref: S.clientRef, lines: requestLines(S.lines), payments: payments };
        if (S.card) body.card_no = S.card.card_no;
        if (S.card && S.proxy >= 0 && S.card.proxies[S.proxy]) body.proxy_id = S.card.proxies[S.proxy].id;
        dialogRun(function () { return submitSale(body); });
      },
    });
  }

  function submitSale(body) {
    return call("POST", "/sales", body).then(
      function (res) {
        S.uncertain = null;
        S.clientRef = null;
        S.done = res.data;
        S.lastSaleNo = res.data.sale_no;
        if (S.card && res.data.card_balance != null) {
          S.card = Object.assign({}, S.card, { balance: res.data.card_balance });
          refreshCard(S.card.card_no);
        }
        try {
          window.localStorage.setItem("charity.terminal.lastSale", S.lastSaleNo);
        } catch (e) {
          /* ignore */
        }
        closeDialog();
        render();
        var status = res.data.receipt ? res.data.receipt.status : "off";
        if (status === "queued" || status === "failed") {
          showError(new ApiError("printer", STATUS_TEXT[status]), "收款已成功；小票稍后补打或按 F9 重打。");
        } else {
          showNotice("收款完成：找零 " + yuan(res.data.change) + "　" + (STATUS_TEXT[status] || ""), "ok");
        }
        pollPrinter();
      },
      function (err) {
        if (err.code === "network" || err.code === "server") {
          // the server may have committed: retry with the same client_ref, never a new one
          S.uncertain = body;
          throw new ApiError(err.code, err.message + "：付款结果未知");
        }
        S.uncertain = null;
        if (isStaleShift(err)) {
          // nothing was sold: the cart stays, the old shift is counted and closed first
          S.clientRef = null;
          closeDialog();
          staleShiftDialog(err);
          return;
        }
        if (err.code === "insufficient_balance") {
          // the balance moved since the quote: price again, close, and let the cashier start over
          closeDialog();
          return apply(cloneLines(S.lines), S.card, S.selected).then(function () { throw err; },
            function () { throw err; });
        }
        throw err;
      }
    ).catch(function (err) {
      if (err.code === "network" || err.code === "server") {
        dialogError(err, "按 Enter 用同一单号重试，不会重复扣款。");
        return;
      }
      throw err;
    });
  }

  // F1: the quick-key grid of goods without a barcode; an open-price item asks for its price
  function quickKeysDialog() {
    if (S.uncertain) return showError(new ApiError("conflict", "付款结果未知：请先按 F4/F5 重试"));
    enqueue(function () {
      return call("GET", "/quick-keys").then(function (res) {
        var items = res.data.items || [];
        if (!items.length) return showNotice("还没有快捷商品：请店长在后台“快捷商品”里设置", "warn");
        var html = '<ol class="t-quick">';
        items.forEach(function (k) {
          html += '<li><kbd>' + k.key + "</kbd> " + esc(k.product.name) + " " + esc(k.product.spec) +
            '<span class="t-card-sub">' + (k.open_price ? "手工定价" : yuan(k.product.list_price) + "/" + esc(k.product.unit)) + "</span></li>";
        });
        html += "</ol>";
        openDialog({
          title: "快捷商品",
          cls: "t-dialog-wide",
          html: html + '<label class="t-field">位置号<input id="d-key" inputmode="numeric" autocomplete="off" maxlength="3"></label>',
          keys: "输入位置号后按 Enter　Esc 返回",
          onSubmit: function () {
            var n = parseInt(val("d-key"), 10);
            var k = items.filter(function (x) { return x.key === n; })[0];
            if (!k) return dialogError(new ApiError("validation_error", "没有位置号 " + (val("d-key") || "（空）")), "请看上面的位置号。");
            if (k.open_price) return openPriceDialog(k);
            dialogRun(function () {
              closeDialog();
              if (S.done) newCustomer();
              return addProduct(k.product.barcode, null);
            });
          },
        });
      });
    });
  }

  function fen(amount) {
    var m = /^(\d+)\.(\d\d)$/.exec(amount || "");
    return m ? parseInt(m[1], 10) * 100 + parseInt(m[2], 10) : null;
  }

  function openPriceDialog(k) {
    var html = "<p>" + esc(k.product.name) + "：单价不超过 " + yuan(k.max_price) +
      (k.supervisor_above ? "；超过 " + yuan(k.supervisor_above) + " 需店长授权" : "") + "</p>" +
      '<label class="t-field">单价（元，标价）<input id="d-price" inputmode="decimal" autocomplete="off"></label>' +
      '<div class="t-two" id="d-boss" hidden><label class="t-field">店长用户名<input id="d-user" autocomplete="off" autocapitalize="off" disabled></label>' +
      '<label class="t-field">店长密码<input id="d-pass" type="password" autocomplete="off" disabled></label></div>';
    openDialog({
      title: "手工定价：" + k.product.name,
      cls: "t-dialog-pay",
      html: html,
      keys: "Enter 确认　Esc 返回",
      onSubmit: function () {
        var price = amountText(val("d-price"));
        if (price == null || !fen(price)) {
          document.getElementById("d-price").focus();
          return dialogError(new ApiError("validation_error", "单价 " + (val("d-price") || "（空）") + " 无效"), "请输入如 3.50 的单价。");
        }
        if (fen(price) > fen(k.max_price)) {
          document.getElementById("d-price").focus();
          return dialogError(new ApiError("validation_error", "单价 " + yuan(price) + " 超过最高单价 " + yuan(k.max_price)));
        }
        var needBoss = k.supervisor_above && fen(price) > fen(k.supervisor_above);
        var boss = document.getElementById("d-boss");
        if (needBoss && boss.hidden) {
          boss.hidden = false;
          document.getElementById("d-user").disabled = false;
          document.getElementById("d-pass").disabled = false;
          document.getElementById("d-user").focus();
          return dialogError(new ApiError("forbidden", "单价 " + yuan(price) + " 超过 " + yuan(k.supervisor_above) + "，需要店长授权"),
            "请店长输入用户名和密码。");
        }
        var add = function (approval) {
          closeDialog();
          if (S.done) newCustomer();
          var lines = cloneLines(S.lines);
          lines.push({ barcode: k.product.barcode, qty: null, price: price, approval: approval || "" });
          return apply(lines, S.card, lines.length - 1).then(function () {
            showNotice("已加入：" + k.product.name + " 单价 " + yuan(price) + (approval ? "（店长已授权）" : ""), "ok");
          });
        };
        if (!needBoss) return dialogRun(function () { return add(""); });
        var user = val("d-user");
        var pass = document.getElementById("d-pass").value;
        if (!user || !pass) {
          document.getElementById(user ? "d-pass" : "d-user").focus();
          return dialogError(new ApiError("forbidden", "需要店长输入用户名和密码"));
        }
        dialogRun(function () {
          return asSupervisor(user, pass, function (token) {
            return call("POST", "/open-price/approve", { barcode: k.product.barcode, price: price }, token);
          }).then(function (res) { return add(res.data.approval); });
        });
      },
    });
  }

  // one act signed by a supervisor at this counter: sign in, act, sign out again whatever happened
  function asSupervisor(user, pass, act) {
    return call("POST", "/login", { username: user, password: pass }).catch(function (err) {
      if (err.code !== "unauthorized") throw err;
      var p = document.getElementById("d-pass");
      if (p) {
        p.value = "";
        p.focus();
      }
      throw new ApiError("unauthorized", "店长用户名或密码错误", err.status, "请店长重新输入密码（本单不受影响，不要刷新页面）。");
    }).then(function (res) {
      var token = res.data.token;
      var out = function () { return call("POST", "/logout", {}, token).catch(function () {}); };
      return act(token).then(
        function (r) { return out().then(function () { return r; }); },
        function (err) { return out().then(function () { throw err; }); }
      );
    });
  }

  // F6: hold the sale
  function holdSale() {
    if (S.done || !S.lines.length) return showError(new ApiError("validation_error", "没有可挂起的商品"), "先扫描商品。");
    if (S.lines.some(function (l) { return l.price != null; })) {
      return showError(new ApiError("validation_error", "有手工定价的商品，不能挂单"), "请先收款，或删除手工定价的行后再挂单。");
    }
    var body = { lines: requestLines(S.lines), label: S.card ? S.card.holder : "" };
    if (S.card) body.card_no = S.card.card_no;
    enqueue(function () {
      return call("POST", "/held", body).then(function (res) {
        newCustomer();
        showNotice("已挂单（" + res.data.id + " 号，" + body.lines.length + " 行）：按 F7 取回", "ok");
      }, function (err) {
        if (!isStaleShift(err)) throw err;
        staleShiftDialog(err);
      });
    });
  }

  // F7: resume a held sale
  function resumeDialog() {
    if (S.lines.length && !S.done) {
      return showError(new ApiError("conflict", "当前还有未结账的商品"), "先收款（F4/F5）或挂单（F6），再取单。");
    }
    enqueue(function () {
      return call("GET", "/held").then(function (res) {
        var items = res.data.items || [];
        if (!items.length) return showNotice("没有挂单", "warn");
        var html = '<ol class="t-held">';
        items.slice(0, 9).forEach(function (h, i) {
          html += '<li data-index="' + i + '"' + (i === 0 ? ' class="t-selected"' : "") + "><kbd>" + (i + 1) + "</kbd> " + esc(storeTime(h.held_at, { hour: "2-digit", minute: "2-digit" })) +
            "　" + esc(h.label || "（无卡）") + "　" + h.lines.length + " 行</li>";
        });
        html += "</ol>";
        openDialog({
          title: "取回挂单",
          html: html + '<input id="d-pick" class="t-hidden-input" autocomplete="off" aria-label="挂单序号">',
          keys: "按数字键或 ↑↓ 加 Enter 选择　Esc 返回",
          onKey: function (e) {
            var shown = Math.min(items.length, 9);
            var list = dialogEl.querySelectorAll(".t-held li");
            var at = 0;
            for (var k = 0; k < list.length; k++) if (list[k].classList.contains("t-selected")) at = k;
            if (e.key === "ArrowDown" || e.key === "ArrowUp") {
              var next = Math.max(0, Math.min(shown - 1, at + (e.key === "ArrowDown" ? 1 : -1)));
              list[at].classList.remove("t-selected");
              list[next].classList.add("t-selected");
              return true;
            }
            var h = null;
            if (e.key === "Enter") h = items[at];
            else if (/^[1-9]$/.test(e.key)) h = items[parseInt(e.key, 10) - 1];
            else return e.key.length === 1; // other characters are not for this list
            if (!h) return true;
            // keys typed from here on (a card number) wait for the sale, then go to the scan field
            dialogRun(function () { return resume(h); });
            return true;
          },
        });
      });
    });
  }

  function resume(h) {
    return call("POST", "/held/" + h.id + "/resume").then(function (res) {
      closeDialog();
      newCustomer();
      var held = res.data;
      var lines = held.lines.map(function (l) {
        return { barcode: l.barcode, qty: l.qty == null ? null : String(l.qty) };
      });
      var cardStep = held.card_no
        ? call("GET", "/terminal/card/" + encodeURIComponent(held.card_no)).then(function (r) { return r.data; })
        : Promise.resolve(null);
      return cardStep.then(function (card) {
        return apply(lines, card, lines.length - 1);
      }).then(function () {
        showNotice("已取回挂单 " + held.id + " 号", "ok");
      });
    });
  }

  // F8: refund, authorised by a supervisor for this one action
  function refundDialog() {
    openDialog({
      title: "退货：查找销售单",
      html: '<label class="t-field">销售单号（没有小票：刷卡或输入卡号，或 姓名 + 证件/手机后四位）' +
        '<input id="d-sale" autocomplete="off" value="' + esc(S.lastSaleNo || "") + '"></label>' +
        '<p class="t-card-sub">没有小票也没有卡（现金购买）：再按 <kbd>F8</kbd> 选 现金（无小票）</p>',
      keys: "Enter 查找　F8 现金（无小票）　Esc 返回",
      onKey: function (e) {
        if (e.key !== "F8") return false;
        dialogRun(publicSales);
        return true;
      },
      onSubmit: function () {
        var no = val("d-sale");
        if (!no) return dialogError(new ApiError("validation_error", "请输入销售单号"));
        var qr = QR_RE.exec(no);
        if (CARD_RE.test(no.replace(/\s+/g, "")) || qr) {
          return dialogRun(function () {
            var card = qr
              ? call("GET", "/terminal/qr/" + encodeURIComponent(qr[1])).then(function (r) { return r.data.card_no; })
              : Promise.resolve(no.replace(/\s+/g, ""));
            return card.then(cardSales);
          });
        }
        if (/[^\d\s-]/.test(no) && /\d{3}[\dXx]\s*$/.test(no)) {
          return dialogRun(function () {
            return call("GET", "/cards?q=" + encodeURIComponent(no)).then(function (res) {
              var items = res.data.items || [];
              if (items.length !== 1) {
                throw new ApiError("validation_error", items.length ? "找到 " + items.length + " 位持卡人" : "没有找到“" + no + "”", 0,
                  items.length ? "请刷卡或输入卡号（F2 可查卡号）。" : "请核对姓名和后四位。");
              }
              return cardSales(items[0].card_no);
            });
          });
        }
        dialogRun(function () {
          return call("GET", "/sales/" + encodeURIComponent(no)).then(function (res) { refundDetail(res.data); });
        });
      },
    });
  }

  // no receipt: the holder's recent sales; a digit or ↑↓ Enter opens one for the refund
  function cardSales(cardNo) {
    return call("GET", "/sales?card_no=" + encodeURIComponent(cardNo)).then(function (res) {
      var items = res.data.items || [];
      if (!items.length) throw new ApiError("not_found", "此卡没有销售记录", 0, "请核对卡号。");
      pickSale("退货：选择这张卡最近的销售", "", items.slice(0, 9), null);
    });
  }

  // no receipt, no card: today's recent public (cash) sales, refunded up to the store's limit
  function publicSales() {
    return call("GET", "/sales?public=1").then(function (res) {
      var items = res.data.items || [];
      var limit = RECEIPTLESS_LIMIT;
      if (!items.length) throw new ApiError("not_found", "今天还没有无卡销售", 0, "请凭小票输入销售单号。");
      pickSale("退货：选择今天的无卡（现金）销售",
        '<p class="t-card-sub">现金（无小票）：每笔最多退 ' + yuan(limit) + "，超过请凭小票办理</p>", items, limit);
    });
  }

  function pickSale(title, note, items, limit) {
    var html = note + '<ol class="t-held t-sales">';
    items.forEach(function (x, i) {
      html += '<li data-index="' + i + '"' + (i === 0 ? ' class="t-selected"' : "") + ">" +
        (i < 9 ? "<kbd>" + (i + 1) + "</kbd> " : "") +
        esc(storeTime(x.at, { month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })) + "　" +
        esc(x.sale_no) + "　" + x.items + " 行　实收 " + yuan(x.total) +
        (isZero(x.refunded) ? "" : "　已退 " + yuan(x.refunded)) + "</li>";
    });
    html += "</ol>";
    openDialog({
      title: title,
      cls: "t-dialog-wide",
      html: html + '<input id="d-pick" class="t-hidden-input" autocomplete="off" aria-label="销售序号">',
      keys: "数字键或 ↑↓ 加 Enter 选择　Esc 返回",
      onKey: function (e) {
        var list = dialogEl.querySelectorAll(".t-sales li");
        var at = 0;
        for (var k = 0; k < list.length; k++) if (list[k].classList.contains("t-selected")) at = k;
        if (e.key === "ArrowDown" || e.key === "ArrowUp") {
          var next = Math.max(0, Math.min(list.length - 1, at + (e.key === "ArrowDown" ? 1 : -1)));
          list[at].classList.remove("t-selected");
          list[next].classList.add("t-selected");
          if (list[next].scrollIntoView) list[next].scrollIntoView({ block: "nearest" });
          return true;
        }
        var x = null;
        if (e.key === "Enter") x = items[at];
        else if (/^[1-9]$/.test(e.key)) x = items[parseInt(e.key, 10) - 1];
        else return e.key.length === 1;
        if (!x) return true;
        dialogRun(function () {
          return call("GET", "/sales/" + encodeURIComponent(x.sale_no)).then(function (r) {
            refundDetail(r.data, { limit: limit });
          });
        });
        return true;
      },
    });
  }

  // `receiptless`: found without the receipt (from the card, or today's public sales with the
  // store's `limit`); the server caps a public sale's refund and audits how it was found
  function refundDetail(sale, receiptless) {
    var html = '<p class="t-refund-head">' + esc(sale.sale_no) + "　" + esc(sale.holder || "无卡") +
      "　实收 " + yuan(sale.total) + "（卡 " + yuan(sale.paid_card) + "，现金 " +
      yuan(sale.cash_kept != null ? sale.cash_kept : sale.paid_cash) + "）" +
      (isZero(sale.refunded) ? "" : "　已退 " + yuan(sale.refunded)) + "</p>";
    html += '<table class="t-refund-lines"><thead><tr><th>#</th><th>商品</th><th class="num">数量</th><th class="num">已退</th><th class="num">小计</th></tr></thead><tbody>';
    sale.lines.forEach(function (l) {
      html += "<tr><td>" + l.line_no + "</td><td>" + esc(l.name) + " " + esc(l.spec) + '</td><td class="num">' +
        esc(l.qty) + '</td><td class="num">' + esc(l.refunded_qty) + '</td><td class="num">' + esc(l.total) + "</td></tr>";
    });
    html += "</tbody></table>";
    if (receiptless && receiptless.limit) html += '<p class="t-card-sub">现金（无小票）：最多退 ' + yuan(receiptless.limit) + "</p>";
    html += '<label class="t-field">退哪几行（留空＝整单；如 1,3 或 2*1＝第 2 行退 1 件）<input id="d-lines" autocomplete="off"></label>' +
      '<label class="t-field">退货原因<input id="d-reason" autocomplete="off"></label>' +
      '<div class="t-two"><label class="t-field">店长用户名<input id="d-user" autocomplete="off" autocapitalize="off"></label>' +
      '<label class="t-field">店长密码<input id="d-pass" type="password" autocomplete="off"></label></div>';
    openDialog({
      title: "退货：店长授权",
      cls: "t-dialog-wide",
      html: html,
      keys: "Enter 下一项 / 退货　Esc 返回",
      onSubmit: function () {
        var lines = parseRefundLines(sale, val("d-lines"));
        if (typeof lines === "string") return dialogError(new ApiError("validation_error", lines));
        var reason = val("d-reason");
        if (!reason) {
          document.getElementById("d-reason").focus();
          return dialogError(new ApiError("validation_error", "请填写退货原因"));
        }
        var user = val("d-user");
        var pass = document.getElementById("d-pass").value;
        if (!user || !pass) {
          document.getElementById(user ? "d-pass" : "d-user").focus();
          return dialogError(new ApiError("forbidden", "需要店长输入用户名和密码"));
        }
        var body = { reason: reason };
        if (lines) body.lines = lines;
        if (receiptless) body.receiptless = true;
        dialogRun(function () { return refundAs(sale, body, user, pass); });
      },
    });
  }

  function parseRefundLines(sale, text) {
    if (!text) return null;
    var out = [];
    var parts = text.split(/[,，\s]+/).filter(Boolean);
    for (var i = 0; i < parts.length; i++) {
      var m = /^(\d+)(?:\*(\d+(?:\.\d{1,3})?))?$/.exec(parts[i]);
      if (!m) return "看不懂 " + parts[i] + "：请写行号，如 1,3 或 2*1";
      var line = sale.lines.filter(function (l) { return l.line_no === parseInt(m[1], 10); })[0];
      if (!line) return "没有第 " + m[1] + " 行";
      var qty = m[2] || fromMilli(toMilli(line.qty) - toMilli(line.refunded_qty));
      if (!toMilli(qty)) return "第 " + m[1] + " 行已全部退过";
      out.push({ barcode: line.barcode, qty: qty });
    }
    return out;
  }

  function refundAs(sale, body, user, pass) {
    var signIn = call("POST", "/login", { username: user, password: pass }).catch(function (err) {
      if (err.code !== "unauthorized") throw err;
      // the supervisor's password, not this terminal's sign-in: nothing expired, the sale is safe
      var p = document.getElementById("d-pass");
      if (p) {
        p.value = "";
        p.focus();
      }
      throw new ApiError("unauthorized", "店长用户名或密码错误", err.status,
        "请店长重新输入密码（本单不受影响，不要刷新页面）。");
    });
    return signIn.then(function (res) {
      var token = res.data.token;
      var refund = call("POST", "/sales/" + encodeURIComponent(sale.sale_no) + "/refund", body, token);
      // sign the supervisor out again whatever the refund answered
      return refund.then(
        function (r) { return call("POST", "/logout", {}, token).catch(function () {}).then(function () { return r; }); },
        function (err) { return call("POST", "/logout", {}, token).catch(function () {}).then(function () { throw err; }); }
      );
    }).then(function (res) {
      var r = res.data;
      var status = r.receipt ? r.receipt.status : "off";
      openDialog({
        title: "退货完成 " + r.refund_no,
        cls: "t-dialog-pay",
        html: row("退款合计", yuan(r.total), "t-due") +
          row("退回卡上", yuan(r.card)) +
          (r.qr && !isZero(r.qr) ? row("扫码原路退回", yuan(r.qr) + "（请用收款码后台退款）") : "") +
          '<div class="t-change-label">从钱箱退现金</div><div class="t-change">' + yuan(r.cash) + "</div>" +
          (r.card_balance != null ? row("卡余额", yuan(r.card_balance)) : "") +
          '<div class="t-receipt t-receipt-' + esc(status) + '">' + esc((STATUS_TEXT[status] || status).replace("小票", "退货单")) + "</div>",
        keys: "Enter 或 Esc 关闭",
        onSubmit: afterRefund,
        onCancel: afterRefund,
      });
    });
  }

  function afterRefund() {
    closeDialog();
    if (S.done) {
      newCustomer(); // the finished sale on screen no longer shows the card's balance
      clearMessage();
    }
  }

  // F9: reprint the last receipt
  function reprint() {
    if (!S.lastSaleNo) return showError(new ApiError("not_found", "本机还没有销售记录可重打"), "完成一笔销售后再按 F9。");
    var no = S.lastSaleNo;
    enqueue(function () {
      return call("POST", "/sales/" + encodeURIComponent(no) + "/receipt").then(function (res) {
        var status = res.data.status;
        if (status === "queued" || status === "failed") showError(new ApiError("printer", STATUS_TEXT[status]));
        else showNotice("重打 " + no + "：" + (STATUS_TEXT[status] || status), "ok");
        pollPrinter();
      });
    });
  }

  // F10: the X report, then the blind count and the Z report
  var X_FIELDS = [
    ["sales_count", "销售笔数", ""],
    ["list_total", "标价合计", "￥"],
    ["discount_total", "慈善优惠", "￥"],
    ["total", "实收合计", "￥"],
    ["card_total", "卡付合计", "￥"],
    ["cash_total", "现金收入", "￥"],
    ["qr_total", "扫码收款", "￥"],
    ["refunds_count", "退货笔数", ""],
    ["voids_count", "作废笔数", ""],
    ["refunds_total", "退款合计", "￥"],
    ["clothing_items", "衣物件数", ""],
  ];

  function shiftDialog() {
    enqueue(function () {
      return call("GET", "/shifts/current").then(function (res) {
        var s = res.data;
        var html = '<div class="t-report">';
        X_FIELDS.forEach(function (f) {
          if (s.totals[f[0]] != null) html += row(f[1], f[2] ? yuan(s.totals[f[0]]) : esc(s.totals[f[0]]));
        });
        html += row("挂单", s.held + " 笔") + "</div>" +
          '<p class="t-card-sub">交班时先盲点现金，点完才显示差异。开班于 ' +
          esc(storeTime(s.opened_at)) + "</p>";
        if (s.stale) {
          html = '<p class="t-stale">此班次开于上一营业日（' + esc(s.business_date) +
            "），今天不能再收款：请先交班点钞。</p>" + html;
        }
        openDialog({
          title: s.stale ? "请先交班：上一营业日的班次" : "当前班次 X 报表",
          html: html + '<input id="d-x" class="t-hidden-input" aria-label="继续">',
          keys: "Enter 开始交班点钞　Esc 返回",
          onSubmit: countDialog,
        });
      }, function (err) {
        if (err.code !== "not_found") throw err;
        openShiftDialog();
      });
    });
  }

  // the cashier's open shift belongs to an earlier business day: it takes nothing more
  function staleShiftDialog(err) {
    var day = (err && err.details && err.details.business_date) || "";
    showError(new ApiError("conflict", "上一营业日" + (day ? "（" + day + "）" : "") + "的班次还没有交班"),
      "按 F10 交班点钞后再收款；钱箱无法清点时请店长关闭该班次。");
    openDialog({
      title: "请先交班：上一营业日的班次",
      cls: "t-dialog-stale",
      html: '<p class="t-stale">' + esc(err ? err.message : "") + "</p>" +
        "<p>购物清单已保留。交班点钞完成后，再按 F4/F5 收款（自动开今天的新班次）。</p>" +
        '<input id="d-stale" class="t-hidden-input" aria-label="开始交班点钞">',
      keys: "Enter 现在交班点钞　Esc 返回",
      onSubmit: countDialog,
    });
  }

  function openShiftDialog() {
    openDialog({
      title: "开班",
      html: "<p>当前没有开着的班次（第一笔销售时也会自动开班，备用金 0 元）。</p>" +
        '<label class="t-field">备用金（元）<input id="d-float" inputmode="decimal" autocomplete="off" placeholder="0.00"></label>',
      keys: "Enter 开班　Esc 返回",
      onSubmit: function () {
        var amount = amountText(val("d-float") || "0");
        if (amount == null) return dialogError(new ApiError("validation_error", "金额 " + val("d-float") + " 无效"));
        dialogRun(function () {
          return call("POST", "/shifts", { opening_float: amount }).then(function () {
            closeDialog();
            showNotice("已开班，备用金 " + yuan(amount), "ok");
          });
        });
      },
    });
  }

  function countDialog() {
    var html = '<p>按面额数钱箱里的现金，输入张数（空＝0）。</p><div class="t-count">';
    DENOMINATIONS.forEach(function (d, i) {
      html += '<label class="t-field t-denom">' + esc(d.replace(/\.00$/, "")) + ' 元<input id="d-n' + i +
        '" inputmode="numeric" autocomplete="off" placeholder="0"></label>';
    });
    html += '</div><label class="t-field">差异原因（有差异时必填）<input id="d-why" autocomplete="off"></label>';
    openDialog({
      title: "交班：盲点现金",
      cls: "t-dialog-wide",
      html: html,
      keys: "Enter 下一项 / 交班　Esc 返回",
      onSubmit: function () {
        var counts = {};
        for (var i = 0; i < DENOMINATIONS.length; i++) {
          var t = val("d-n" + i);
          if (!t) continue;
          if (!/^\d{1,6}$/.test(t)) {
            document.getElementById("d-n" + i).focus();
            return dialogError(new ApiError("validation_error", DENOMINATIONS[i] + " 元的张数 " + t + " 无效"));
          }
          counts[DENOMINATIONS[i]] = parseInt(t, 10);
        }
        dialogRun(function () {
          return call("POST", "/shifts/current/close", { counts: counts, reason: val("d-why") }).then(function (res) {
            var s = res.data;
            var z = s.totals || {};
            var status = s.receipt ? s.receipt.status : "off";
            openDialog({
              title: "已交班：Z 报表 " + (s.z_number || ""),
              html: '<div class="t-report">' + row("销售笔数", esc(z.sales_count)) + row("实收合计", yuan(z.total)) +
                row("退货笔数", esc(z.refunds_count)) + row("作废笔数", esc(z.voids_count)) +
                row("退款合计", yuan(z.refunds_total)) +
                (z.qr_total != null && !isZero(z.qr_total) ? row("扫码收款", yuan(z.qr_total)) : "") +
                row("应有现金", yuan(z.expected_cash)) + row("实点现金", yuan(s.counted_cash)) +
                row("差异", yuan(s.variance), isZero((s.variance || "").replace("-", "")) ? "" : "t-variance") + "</div>" +
                '<div class="t-receipt t-receipt-' + esc(status) + '">' + esc((STATUS_TEXT[status] || status).replace("小票", "Z 报表")) + "</div>",
              keys: "Enter 或 Esc 关闭",
              onSubmit: closeDialog,
            });
          }, function (err) {
            if (err.code === "validation_error" && /差异/.test(err.message)) document.getElementById("d-why").focus();
            throw err;
          });
        });
      },
    });
  }

  // Esc outside a dialog: clear the field, else the finished sale, else the cart (confirmed)
  function escape() {
    if (scan.value) {
      scan.value = "";
      return;
    }
    if (S.done) {
      newCustomer();
      clearMessage();
      return;
    }
    if (messageEl.dataset.code) {
      clearMessage();
      return;
    }
    if (!S.lines.length && !S.card) return;
    if (S.uncertain) return showError(new ApiError("conflict", "付款结果未知：请先按 F4/F5 重试"));
    openDialog({
      title: "清空当前这一单？",
      html: "<p>" + S.lines.length + " 行商品" + (S.card ? "，已刷卡 " + esc(S.card.holder) : "") + " 将被清除。</p>" +
        '<input id="d-confirm" class="t-hidden-input" aria-label="确认清空">',
      keys: "Enter 清空　Esc 不清空",
      onSubmit: function () {
        closeDialog();
        newCustomer();
        showNotice("已清空，可以接待下一位顾客", "ok");
      },
    });
  }

  // --- keyboard and focus ---------------------------------------------------------------------

  var FKEYS = {
    F1: quickKeysDialog,
    F2: cardDialog,
    F3: cycleProxy,
    F4: function () { payDialog(true); },
    F5: function () { payDialog(false); },
    F6: holdSale,
    F7: resumeDialog,
    F8: refundDialog,
    F9: reprint,
    F10: shiftDialog,
  };

  function onKey(e) {
    if (typeahead.holding) {
      if (e.ctrlKey || e.altKey || e.metaKey || /^(Shift|Control|Alt|Meta|CapsLock|Tab)$/.test(e.key)) return;
      e.preventDefault();
      typeahead.keys.push(e.key);
      return;
    }
    if (S.dialog) {
      if (FKEYS[e.key]) e.preventDefault(); // no browser F-key actions (F5 reload!) behind a dialog
      return dialogKey(e);
    }
    if (FKEYS[e.key]) {
      e.preventDefault();
      // let queued scans and quotes land first: act on what the screen will show; keys typed
      // meanwhile wait for the dialog this opens
      var action = FKEYS[e.key];
      holdKeys();
      pending += 1;
      queue.then(action).catch(function (err) {
        showError(err instanceof ApiError ? err : new ApiError("server", String(err)));
      }).then(function () {
        pending -= 1;
        if (!pending) busyEl.hidden = true;
        settle();
      });
      return;
    }
    if (e.ctrlKey || e.altKey || e.metaKey) return; // browser shortcuts (Ctrl+R) stay usable
    // While something is being typed or scanned (a code, a QR URL with '-' in its token),
    // Delete, + and - are characters of it, not line commands.
    if (scan.value !== "" && (e.key === "Delete" || e.key === "+" || e.key === "-")) return;
    switch (e.key) {
      case "Enter":
        e.preventDefault();
        var text = scan.value;
        scan.value = "";
        handleScan(text);
        return;
      case "Escape":
        e.preventDefault();
        escape();
        return;
      case "ArrowUp":
        e.preventDefault();
        moveSelection(-1);
        return;
      case "ArrowDown":
        e.preventDefault();
        moveSelection(1);
        return;
      case "Delete":
        e.preventDefault();
        removeSelected();
        return;
      case "+":
        e.preventDefault();
        changeQty(1);
        return;
      case "-":
        e.preventDefault();
        changeQty(-1);
        return;
    }
  }

  function refocus() {
    var target = scan;
    if (S.dialog) {
      if (dialogEl.contains(document.activeElement) && document.activeElement.tagName === "INPUT") return;
      target = dialogInputs()[0];
      if (!target) return;
    }
    if (document.activeElement !== target) target.focus();
  }

  document.addEventListener("keydown", onKey, true);
  document.addEventListener("focusout", function () {
    setTimeout(function () {
      if (!document.activeElement || document.activeElement === document.body ||
          !root.contains(document.activeElement) || (S.dialog && !dialogEl.contains(document.activeElement))) {
        refocus();
      }
    }, 0);
  });
  document.addEventListener("mousedown", function (e) {
    // touch and mouse: keep the keyboard where it was, whatever was tapped
    if (e.target.tagName !== "INPUT") e.preventDefault();
  });
  root.querySelectorAll(".t-keys [data-key]").forEach(function (b) {
    b.addEventListener("click", function () {
      onKey(new KeyboardEvent("keydown", { key: b.dataset.key }));
      refocus();
    });
  });
  rowsEl.addEventListener("click", function (e) {
    var tr = e.target.closest("tr[data-index]");
    if (!tr) return;
    S.selected = parseInt(tr.dataset.index, 10);
    renderLines();
  });
  window.addEventListener("beforeunload", function (e) {
    if (S.lines.length && !S.done) {
      e.preventDefault();
      e.returnValue = "";
    }
  });

  // --- the printer ----------------------------------------------------------------------------

  function pollPrinter() {
    call("GET", PRINTER_STATE).then(function (res) {
      var p = res.data || {};
      var waiting = (p.queued || 0) + (p.failed || 0);
      var text;
      var cls;
      if (p.status === "off") {
        text = "未启用打印机";
        cls = "t-printer-off";
      } else if (p.status === "error") {
        text = "打印机故障" + (waiting ? "：" + waiting + " 张待补打" : "");
        cls = "t-printer-error";
      } else if (waiting) {
        text = "打印机：" + waiting + " 张待打印";
        cls = "t-printer-warn";
      } else {
        text = "打印机正常";
        cls = "t-printer-ok";
      }
      printerEl.textContent = text;
      printerEl.className = "t-printer " + cls;
      if (p.last_error) printerEl.title = p.last_error;
    }, function () {
      printerEl.textContent = "打印机状态未知";
      printerEl.className = "t-printer t-printer-warn";
    });
  }

  render();
  refocus();
  pollPrinter();
  // a shift left open since an earlier day: ask for its count before the first customer
  call("GET", "/shifts/current").then(function (res) {
    if (res.data && res.data.stale && !S.dialog) {
      staleShiftDialog(new ApiError("conflict", "您的班次（" + res.data.business_date +
        " 开班）还没有交班，今天不能再记入这个班次。", 409, null,
        { reason: "stale_shift", business_date: res.data.business_date }));
    }
  }, function () {
    /* no open shift (404), or offline: nothing to ask */
  });
  setInterval(pollPrinter, 15000);
})();

// The kiosk: the scan field keeps the focus, and a shown balance clears itself after a while
// (seconds and the page to return to come in data- attributes of #kiosk-left).
(function () {
  "use strict";
  var code = document.getElementById("kiosk-code");
  if (code) {
    var keep = function () { if (document.activeElement !== code) code.focus(); };
    document.addEventListener("click", keep);
    keep();
  }
  var left = document.getElementById("kiosk-left");
  if (!left) return;
  var seconds = parseInt(left.dataset.seconds, 10) || 20;
  var home = left.dataset.home || "/kiosk";
  var timer = setInterval(function () {
    seconds -= 1;
    left.textContent = String(Math.max(seconds, 0));
    if (seconds <= 0) {
      clearInterval(timer);
      var view = document.getElementById("kiosk-view");
      if (view) view.remove();
      location.replace(home);
    }
  }, 1000);
})();

// The open dossier tab in the window's title (client and firm dossier pages):
// « Frais — ALEXANDER / AGENCE IMMO — Mon espace client » instead of « Dossier — … ».
(function () {
  var SUFFIX = " — Mon espace client";
  function update() {
    var tab = document.querySelector("main [role=tablist] [role=tab][aria-selected=true]");
    if (!tab) return;
    var h1 = document.querySelector("main h1");
    // (Radix writes the label twice: a visible copy and a hidden one keeping the bold width.)
    var inner = tab.querySelector(".rt-TabsTriggerInner") || tab;
    var label = inner.textContent.replace(/\s*\(.*$/, "").trim();
    var title = label + (h1 && h1.textContent.trim() ? " — " + h1.textContent.trim() : "") + SUFFIX;
    if (document.title !== title) document.title = title;
  }
  var pending = false;
  function later() {
    if (pending) return;
    pending = true;
    window.requestAnimationFrame(function () { pending = false; update(); });
  }
  function start() {
    new MutationObserver(later).observe(document.documentElement, {
      subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ["aria-selected"],
    });
    later();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();

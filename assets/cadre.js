/* The page frame at the first paint: the firm's name (and logo) in the header from the
   non-secret label cookie set at login (services/accounts/cookies.py FIRM_LABEL_COOKIE),
   before the page's state has arrived. Inlined in the head of the built pages by
   espace/espace.py (no request; the CSP hashes it): it runs before the body is painted.
   (No ampersand, angle bracket or backtick in this file: it is inlined as is.) Once the state gives the name, the header's own text replaces it
   (assets/depot.css: `.firm-name:empty::before`). */
(function () {
  "use strict";
  try {
    var m = document.cookie.match(/(?:^|; )espace_cabinet=([^;]*)/);
    if (!m) return;
    var label = decodeURIComponent(m[1]);
    var name = label.slice(2);
    if (!name) return;
    var css = ":root{--firm-name:" + JSON.stringify(name) + ";}";
    if (label.charAt(0) === "1") css += ".firm-logo-early:has(+ .firm-name:empty){display:inline-block;}";
    var style = document.createElement("style");
    style.setAttribute("data-cadre", "");
    style.textContent = css;
    document.head.appendChild(style);
    // React may rebuild the document's head when it renders the page: put it back.
    var keep = function () {
      if (!style.isConnected) { if (document.head) document.head.appendChild(style); }
    };
    new MutationObserver(keep).observe(document.documentElement, { childList: true });
    new MutationObserver(keep).observe(document.head, { childList: true });
  } catch (e) { /* no label: the name comes with the page's state */ }
})();

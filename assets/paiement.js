/* Paiement en ligne: the page's glue with Stripe.js (loaded by the payment page only).
   Stripe.js comes from the address the server gives (STRIPE_JS_URL: Stripe's, or a
   local localstripe). The card typed in Stripe's card element goes to Stripe only:
   this script hands the server a token id, never card data. Every function resolves
   (never rejects) with a plain object, which the page's state reads. */
(function () {
  "use strict";
  if (window.espacePaiement) return;

  var stripe = null;
  var card = null;
  var loaded = {};

  function loadScript(url) {
    if (loaded[url]) return loaded[url];
    loaded[url] = new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = url;
      s.async = true;
      s.onload = function () { resolve(); };
      s.onerror = function () { delete loaded[url]; reject(new Error("Stripe.js load failed")); };
      document.head.appendChild(s);
    });
    return loaded[url];
  }

  function waitFor(selector, ms) {
    return new Promise(function (resolve) {
      var end = Date.now() + ms;
      (function look() {
        var el = document.querySelector(selector);
        if (el) return resolve(el);
        if (Date.now() > end) return resolve(null);
        setTimeout(look, 50);
      })();
    });
  }

  function isNetwork(err) {
    if (navigator.onLine === false) return true;
    var msg = String((err && err.message) || "");
    return /failed to fetch|networkerror|network|load failed|connection/i.test(msg);
  }

  // A Stripe error (or a thrown one) as {code, type} for the server's French messages.
  function normalize(err) {
    if (!err) return { code: "unknown" };
    if (err.type === "api_connection_error") return { code: "network", type: err.type };
    if (err.code || err.type) {
      return { code: String(err.code || ""), type: String(err.type || "") };
    }
    if (isNetwork(err)) return { code: "network" };
    return { code: "invalid_card_data" };
  }

  async function monter(publishableKey, stripeJsUrl, selector) {
    try {
      await loadScript(stripeJsUrl);
      var el = await waitFor(selector, 10000);
      if (!el || typeof window.Stripe !== "function") return { ok: false, code: "network" };
      if (card) {
        try { card.destroy(); } catch (e) { /* already gone with the previous page */ }
        card = null;
      }
      el.innerHTML = "";
      stripe = window.Stripe(publishableKey, { locale: "fr" });
      card = stripe.elements({ locale: "fr" }).create("card", { hidePostalCode: true });
      card.mount(el);
      return { ok: true };
    } catch (e) {
      return { ok: false, code: isNetwork(e) ? "network" : "mount" };
    }
  }

  async function jeton() {
    if (!stripe || !card) return { error: { code: "network" } };
    try {
      var r = await stripe.createToken(card);
      if (r && r.error) {
        var err = normalize(r.error);
        // A card the platform cannot read: the client should check what was typed.
        if (!err.code && err.type === "invalid_request_error") err.code = "invalid_card_data";
        return { error: err };
      }
      if (!r || !r.token || !r.token.id) return { error: { code: "unknown" } };
      return { token: r.token.id };
    } catch (e) {
      return { error: normalize(e) };
    }
  }

  // 3-D Secure: the bank's authentication, in the browser, on the intent the server confirmed.
  async function authentifier(clientSecret) {
    if (!stripe) return { error: { code: "network" } };
    try {
      var r = typeof stripe.handleNextAction === "function"
        ? await stripe.handleNextAction({ clientSecret: clientSecret })
        : await stripe.confirmCardPayment(clientSecret);
      if (r && r.error) return { error: normalize(r.error) };
      var status = r && r.paymentIntent && r.paymentIntent.status;
      if (status === "succeeded" || status === "processing") return { status: status };
      return { error: { code: "payment_intent_authentication_failure" } };
    } catch (e) {
      return { error: normalize(e) };
    }
  }

  window.espacePaiement = { monter: monter, jeton: jeton, authentifier: authentifier };
})();

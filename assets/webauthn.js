/* Clés d'accès (WebAuthn). A click on an element with data-webauthn="register" |
   "login" | "second-factor" | "step-up" (confirming one's identity with the password
   and a passkey before a security change) runs the ceremony: options from /api/webauthn (JSON, session
   or pending-login cookie, X-Requested-With header), navigator.credentials.create/get,
   then the answer back to the server, which decides. Messages go to the nearest
   [data-webauthn-status]; after a registration the page's hidden
   [data-webauthn-refresh] button is clicked so that the list updates. */
(function () {
  "use strict";
  if (window.__espaceWebauthn) return;
  window.__espaceWebauthn = true;

  function toBuffer(b64url) {
    var b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64), bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return bytes.buffer;
  }
  function toB64url(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (d) { return Object.assign({}, d, { id: toBuffer(d.id) }); });
  }
  function credentialJSON(cred) {
    var r = cred.response, response = { clientDataJSON: toB64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toB64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toB64url(r.authenticatorData);
      response.signature = toB64url(r.signature);
      if (r.userHandle) response.userHandle = toB64url(r.userHandle);
    }
    return {
      id: cred.id, rawId: toB64url(cred.rawId), type: cred.type, response: response,
      clientExtensionResults: cred.getClientExtensionResults ? cred.getClientExtensionResults() : {},
      authenticatorAttachment: cred.authenticatorAttachment || undefined
    };
  }
  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Requested-With": "espace" },
      body: JSON.stringify(body || {})
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (data) {
        if (!res.ok || !data.ok) {
          var err = new Error(data.error || "La clé d'accès n'a pas pu être utilisée.");
          err.status = res.status;
          throw err;
        }
        return data;
      });
    });
  }
  function statusFor(el) {
    var scope = el.closest("section, form, .rt-Card, main, body") || document;
    return scope.querySelector("[data-webauthn-status]") || document.querySelector("[data-webauthn-status]");
  }
  function browserError(err) {
    if (err && (err.name === "NotAllowedError" || err.name === "AbortError"))
      return "Opération annulée ou délai dépassé. Réessayez.";
    if (err && err.name === "InvalidStateError") return "Cette clé d'accès est déjà enregistrée.";
    return (err && err.message) || "La clé d'accès n'a pas pu être utilisée.";
  }

  function register(button, say) {
    var input = document.querySelector("[data-webauthn-name]");
    var name = input ? input.value : "";
    say("Suivez les instructions de votre appareil…");
    return post("/api/webauthn/inscription/options").then(function (data) {
      var o = data.options;
      o.challenge = toBuffer(o.challenge);
      o.user.id = toBuffer(o.user.id);
      o.excludeCredentials = descriptors(o.excludeCredentials);
      return navigator.credentials.create({ publicKey: o });
    }).then(function (cred) {
      return post("/api/webauthn/inscription", { credential: credentialJSON(cred), name: name });
    }).then(function () {
      say("");
      if (input) input.value = "";
      var refresh = document.querySelector("[data-webauthn-refresh]");
      if (refresh) refresh.click();
    }, function (err) {
      // 403 from the options: this session must first confirm the person's identity
      // (step-up): the page opens « Confirmez votre identité ».
      var ask = document.querySelector("[data-step-up-ask]");
      if (err && err.status === 403 && ask) { say(""); ask.click(); return; }
      throw err;
    });
  }

  function stepUp(button, say) {
    var field = document.getElementById(button.getAttribute("data-password-field") || "");
    var password = field ? field.value : "";
    if (!password) return Promise.reject(new Error("Saisissez d'abord votre mot de passe."));
    say("Suivez les instructions de votre appareil…");
    return post("/api/webauthn/confirmation/options").then(function (data) {
      var o = data.options;
      o.challenge = toBuffer(o.challenge);
      o.allowCredentials = descriptors(o.allowCredentials);
      return navigator.credentials.get({ publicKey: o });
    }).then(function (cred) {
      return post("/api/webauthn/confirmation", { credential: credentialJSON(cred), password: password });
    }).then(function () {
      say("");
      var done = document.querySelector("[data-step-up-done]");
      if (done) done.click();
    });
  }

  function login(button, say, secondFactor) {
    say("Suivez les instructions de votre appareil…");
    var body = secondFactor ? { second_factor: true } : {};
    return post("/api/webauthn/connexion/options", body).then(function (data) {
      var o = data.options;
      o.challenge = toBuffer(o.challenge);
      o.allowCredentials = descriptors(o.allowCredentials);
      return navigator.credentials.get({ publicKey: o });
    }).then(function (cred) {
      return post("/api/webauthn/connexion", Object.assign({ credential: credentialJSON(cred) }, body));
    }).then(function (data) {
      say("Connexion…");
      sessionStorage.clear();  // a new Reflex token: the tab starts from a fresh state tree
      window.location.replace(data.next);
    });
  }

  document.addEventListener("click", function (e) {
    var button = e.target.closest ? e.target.closest("[data-webauthn]") : null;
    if (!button || button.disabled) return;
    e.preventDefault();
    var status = statusFor(button);
    function say(text) { if (status) status.textContent = text; }
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say("Ce navigateur ne permet pas d'utiliser les clés d'accès.");
      return;
    }
    var kind = button.getAttribute("data-webauthn");
    button.disabled = true;
    var run = kind === "register" ? register(button, say)
      : kind === "step-up" ? stepUp(button, say)
      : login(button, say, kind === "second-factor");
    run.catch(function (err) { say(browserError(err)); })
       .then(function () { button.disabled = false; });
  });
})();

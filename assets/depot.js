/* Dépôt de documents: drag-and-drop or file chooser, one XHR per file (progress, cancel),
   streamed as the raw request body to /api/depots/<dossier>. The server decides: size
   limit and allowed types are checked there; this script only reports its answers. */
(function () {
  "use strict";
  if (window.__espaceDepot) return;
  window.__espaceDepot = true;

  function zoneOf(el) { return el && el.closest ? el.closest("[data-depot-zone]") : null; }
  function dossierOf(zone) {
    var sel = zone.querySelector("select[name=dossier]");
    return sel ? sel.value : zone.getAttribute("data-dossier");
  }
  // The firm's zone posts to its own route (data-upload-url) and sends no end-of-drop notice.
  function uploadUrl(zone) {
    return zone.getAttribute("data-upload-url") || "/api/depots/" + encodeURIComponent(dossierOf(zone));
  }
  // Waits before the automatic retries of a file whose sending failed (connection cut, 502–504).
  var RETRY_MS = [1000, 3000, 6000];
  // 128 random bits in hex (crypto.randomUUID needs https; getRandomValues does not).
  function newKey() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  // As espace/domain/french.py's fsize shows the same file in the lists: « 45 o », « 1,5 Ko », « 2,3 Mo ».
  var SIZE = new Intl.NumberFormat("fr-FR", {maximumFractionDigits: 1});
  function fmtSize(n) {
    if (n < 1024) return n + "\u00a0o";
    if (n < 1024 * 1024) return SIZE.format(n / 1024) + "\u00a0Ko";
    return SIZE.format(n / 1024 / 1024) + "\u00a0Mo";
  }

  function send(zone, file, list, batch) {
    var max = parseInt(zone.getAttribute("data-max-bytes") || "0", 10);
    var li = document.createElement("li");
    li.className = "depot-item";
    var name = document.createElement("span");
    name.className = "depot-name";
    name.textContent = file.name + " (" + fmtSize(file.size) + ")";
    // A themed bar (role progressbar) and its percentage in words; a refused file shows no bar.
    var bar = document.createElement("span");
    bar.className = "depot-bar";
    bar.setAttribute("role", "progressbar");
    bar.setAttribute("aria-label", "Progression de " + file.name);
    bar.setAttribute("aria-valuemin", "0");
    bar.setAttribute("aria-valuemax", "100");
    var fill = document.createElement("span");
    fill.className = "depot-fill";
    bar.appendChild(fill);
    var pct = document.createElement("span");
    pct.className = "depot-pct";
    function progress(value) {
      bar.setAttribute("aria-valuenow", String(value));
      fill.style.width = value + "%";
      pct.textContent = value + " %";
    }
    progress(0);
    var status = document.createElement("span");
    status.className = "depot-status";
    status.textContent = "Envoi…";
    var cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Annuler";
    cancel.setAttribute("aria-label", "Annuler l'envoi de " + file.name);
    li.append(name, bar, pct, status, cancel);
    list.appendChild(li);

    return new Promise(function (resolve) {
      function finish(ok, text, storedName) {
        status.textContent = text;
        li.setAttribute("data-state", ok ? "ok" : "error");
        cancel.remove();
        if (!ok) { bar.remove(); pct.remove(); }
        if (ok) batch.push(storedName || file.name);
        resolve();
      }
      if (max && file.size > max) {
        finish(false, "Refusé : « " + file.name + " » : fichier trop volumineux (" +
          Math.round(max / 1024 / 1024) + " Mo maximum).");
        return;
      }
      // One key per file sent: every retry of this file carries it, so a deposit that was stored
      // by a server that could not answer (a worker that died) is answered, never stored twice.
      var key = newKey();
      var tries = 0;
      function attempt() {
        var xhr = new XMLHttpRequest();
        xhr.open("POST", uploadUrl(zone));
        xhr.setRequestHeader("X-Requested-With", "espace");
        xhr.setRequestHeader("X-Filename", encodeURIComponent(file.name));
        xhr.setRequestHeader("Idempotency-Key", key);
        xhr.setRequestHeader("Content-Type", "application/octet-stream");
        xhr.upload.onprogress = function (e) {
          // 99 % at most until the server has answered (the whole body sent is not yet a deposit).
          if (e.lengthComputable) progress(Math.min(99, Math.round((e.loaded / e.total) * 100)));
        };
        // The connection cut, or the server momentarily unavailable: sent again by itself (same
        // key) a few times, then the person is told.
        function again(text) {
          if (tries < RETRY_MS.length) {
            status.textContent = "Nouvel essai dans un instant…";
            progress(0);
            setTimeout(attempt, RETRY_MS[tries++]);
            return;
          }
          finish(false, text);
        }
        xhr.onload = function () {
          var data = {};
          try { data = JSON.parse(xhr.responseText); } catch (e) { /* not JSON */ }
          if (xhr.status === 200 && data.ok) { progress(100); finish(true, "Déposé", data.name); }
          else if (xhr.status === 401) finish(false, "Refusé : votre session a expiré, reconnectez-vous.");
          else if (xhr.status === 502 || xhr.status === 503 || xhr.status === 504)
            again("Échec : " + (data.error || "le service est momentanément indisponible. Réessayez."));
          else if (xhr.status === 507) finish(false, "Échec : " + (data.error || "« " + file.name + " » n'a pas pu être déposé."));
          else finish(false, "Refusé : " + (data.error || "« " + file.name + " » n'a pas pu être déposé."));
        };
        xhr.onerror = function () { again("Échec : la connexion a été interrompue."); };
        xhr.onabort = function () { finish(false, "Annulé"); };
        cancel.onclick = function () { xhr.abort(); };
        xhr.send(file);
      }
      attempt();
    });
  }

  function handle(zone, files) {
    if (!files || !files.length) return;
    if (!dossierOf(zone)) {
      var msg = zone.querySelector("[data-depot-message]");
      if (msg) msg.textContent = "Choisissez d'abord le dossier.";
      return;
    }
    var list = zone.querySelector("[data-depot-list]");
    var batch = [];
    var dossier = dossierOf(zone);
    Promise.all(Array.prototype.map.call(files, function (f) { return send(zone, f, list, batch); }))
      .then(function () {
        if (!batch.length) return;
        if (!zone.getAttribute("data-upload-url")) {
          var xhr = new XMLHttpRequest();
          xhr.open("POST", "/api/depots/" + encodeURIComponent(dossier) + "/termine");
          xhr.setRequestHeader("X-Requested-With", "espace");
          xhr.setRequestHeader("Content-Type", "application/json");
          xhr.send(JSON.stringify({ names: batch }));
        }
        var refresh = zone.querySelector("[data-depot-refresh]");
        if (refresh) refresh.click();
      });
  }

  document.addEventListener("change", function (e) {
    var zone = zoneOf(e.target);
    if (zone && e.target.matches("input[type=file]")) {
      handle(zone, e.target.files);
      e.target.value = "";
    }
  });
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var zone = zoneOf(e.target);
      if (!zone) return;
      e.preventDefault();
      zone.setAttribute("data-dragging", "true");
    });
  });
  document.addEventListener("dragleave", function (e) {
    var zone = zoneOf(e.target);
    if (zone && !zone.contains(e.relatedTarget)) zone.removeAttribute("data-dragging");
  });
  document.addEventListener("drop", function (e) {
    var zone = zoneOf(e.target);
    if (!zone) return;
    e.preventDefault();
    zone.removeAttribute("data-dragging");
    handle(zone, e.dataTransfer && e.dataTransfer.files);
  });
})();

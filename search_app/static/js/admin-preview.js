// Live preview of the outbound OpenURL link on the admin settings page: as the base URL
// or the link text changes, ask the server (resolver.outbound) for the link of a sample
// record and show it. Without JavaScript the page shows the saved settings' link.
(function () {
  "use strict";
  var form = document.querySelector("form[data-preview]");
  var box = document.getElementById("resolver-preview");
  if (!form || !box) { return; }
  var base = form.querySelector("[name=resolver_base_url]");
  var text = form.querySelector("[name=resolver_link_text]");
  var timer = null;
  function show(data) {
    var heading = box.querySelector("h3");
    box.textContent = "";
    if (heading) { box.appendChild(heading); }
    var p = document.createElement("p");
    if (data.url) {
      var a = document.createElement("a");
      a.id = "preview-link";
      a.href = data.url;
      a.target = "_blank";
      a.rel = "noopener";
      if (data.image) {
        var img = document.createElement("img");
        img.src = data.image;
        img.alt = data.text;
        a.appendChild(img);
      } else {
        a.textContent = data.text;
      }
      p.appendChild(a);
      var code = document.createElement("code");
      code.id = "preview-url";
      code.textContent = data.url;
      var p2 = document.createElement("p");
      p2.appendChild(code);
      box.appendChild(p);
      box.appendChild(p2);
    } else {
      p.id = "preview-none";
      var errors = data.errors || {};
      p.textContent = errors.resolver_base_url || "—";
      box.appendChild(p);
    }
  }
  function update() {
    var params = new URLSearchParams({ base_url: base.value, link_text: text.value });
    fetch(form.dataset.preview + "?" + params.toString(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show(data); } });
  }
  function later() { clearTimeout(timer); timer = setTimeout(update, 300); }
  base.addEventListener("input", later);
  text.addEventListener("input", later);
})();
